package dev.pgbroadcaster.listening;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A second source of what the listener hands over, next to LISTEN: a store of every change (the journal) that
 * the listener reads on its own connection after each gap, so that nothing sent while it was away is missed. It is
 * used by the listener thread alone (and, for the first connection, by the thread that starts the broadcaster
 * before the listener thread exists).
 */
public interface ReplaySource {

    /**
     * Returns the channels to LISTEN on besides the application's, asked on each new connection before LISTEN (on
     * the thread that opens it, which hands the connection to the listener thread afterwards).
     */
    List<String> channels(Connection connection) throws SQLException;

    /**
     * Takes a notification on one of {@link #channels its channels} and hands what it announces to
     * {@code handler}, unless that was handed over already. A failure to read what it announces is logged, not
     * thrown: the next {@link #replay} or {@link #maintain} hands it over.
     */
    void notified(Connection connection, String payload, int processId, NotificationListener.Handler handler);

    /**
     * Hands over, after LISTEN on a new connection and before it is announced, what was sent while there was
     * none; for the first connection made at once at startup, it only marks where delivery starts.
     * @param afterGap whether there was a time without a connection before this one: a connection was up before,
     * or the start could not connect at once
     * @param stopping says when to give up because the listener is stopping
     * @return what it handed over
     * @throws SQLException if it could not read what was missed; the connection attempt fails and is retried
     */
    Replay replay(Connection connection, boolean afterGap, NotificationListener.Handler handler,
            BooleanSupplier stopping) throws SQLException;

    /**
     * Called between reads: hands over, when it is time to check, what no notification brought.
     * @throws SQLException if the connection failed
     */
    void maintain(Connection connection, NotificationListener.Handler handler) throws SQLException;

    /**
     * Called once, on the listener thread, when the listener stops: releases what the source holds besides the
     * listener's connection.
     */
    default void close() {
    }

    /**
     * What one replay handed over.
     *
     * @param rows how many changes it handed over
     * @param complete whether it could reach back to everything missed since the last read
     */
    record Replay(long rows, boolean complete) {

    }

}
