package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens the dedicated connection the broadcaster listens on. It must be a new PostgreSQL (pgjdbc) connection
 * that nobody else uses, never one borrowed from a pool. Define a bean of this type to take over how it is
 * opened, for example to fetch credentials from a vault.
 * <p>
 * Right after each LISTEN the broadcaster also opens one short-lived connection through the same factory, sends
 * a notification on a private channel from it and closes it: the delivery check, which finds out whether
 * notifications reach the listener connection (they do not through a pooler in transaction pooling mode).
 * <p>
 * An attempt must end, successfully or not, in bounded time even when the server accepts the connection and
 * never answers: give the driver a {@code socketTimeout}, as the default factory does. The listener bounds each
 * round trip itself once the connection is open.
 */
@FunctionalInterface
public interface ListenerConnectionFactory {

    /**
     * Opens a new connection.
     * @return the connection, which the broadcaster closes
     * @throws SQLException if it cannot be opened
     */
    Connection connect() throws SQLException;

    /**
     * Describes where connections go, for log lines and error messages. It must hold no secret.
     * @return the description; by default the factory's class name
     */
    default String description() {
        return getClass().getSimpleName();
    }

}
