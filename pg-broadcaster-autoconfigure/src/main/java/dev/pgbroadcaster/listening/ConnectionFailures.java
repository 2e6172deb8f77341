package dev.pgbroadcaster.listening;

import java.sql.Connection;
import java.sql.SQLException;

import org.postgresql.core.BaseConnection;

/**
 * Tells a connection failure that will not fix itself (a wrong password, a database that does not exist, a
 * missing privilege, a standby where LISTEN cannot work) from one that may (the server is down, the network
 * failed), and what to change for the first kind. Waiting does not help the first kind, but the listener keeps
 * trying anyway: a rotated password, a database created later or a standby promoted fixes it without a restart.
 */
public final class ConnectionFailures {

    /**
     * The SQL state of LISTEN on a server in recovery (read_only_sql_transaction), which is how the listener knows
     * it reached a standby.
     */
    static final String STANDBY = "25006";

    /** What to set when the listener's URL leads to a standby. */
    public static final String STANDBY_REMEDY = "List every server in pg.broadcaster.url (or spring.datasource.url, "
            // No URL parameters in the example: messages are redacted, and a URL loses its parameters there.
            + "which it defaults to), as in jdbc:postgresql://host1:5432,host2:5432/db, and add the URL parameter "
            + "targetServerType=primary";

    private ConnectionFailures() {
    }

    /**
     * Returns the failure of LISTEN on {@code server}, a standby, in words that say so: PostgreSQL's own, "cannot
     * execute LISTEN during recovery", do not say what to change.
     * @param server the host and port the connection reached, or {@code null} when not known
     */
    static SQLException standby(String server, SQLException listenFailure) {
        return new SQLException("the server at " + ((server != null) ? server : "the listener's URL") + " is a standby "
                + "(in recovery), where LISTEN cannot work (PostgreSQL: "
                + listenFailure.getMessage() + "): the listener must be on the primary, and after a failover on the "
                + "new one. " + STANDBY_REMEDY, STANDBY, listenFailure);
    }

    /**
     * Returns the host and port the driver reached, as named in the URL (with several hosts, the one it chose), or
     * {@code null} when the connection is not the PostgreSQL driver's. Asks the driver rather than the server
     * ({@code inet_server_addr()}), which would cost a round trip and answer with an address the URL may not use.
     */
    public static String server(Connection connection) {
        try {
            return connection.unwrap(BaseConnection.class).getQueryExecutor().getHostSpec().toString();
        }
        catch (SQLException | RuntimeException ex) {
            return null;
        }
    }

    /**
     * Returns whether {@code failure} says the listener reached a standby.
     */
    public static boolean isStandby(Throwable failure) {
        return STANDBY.equals(sqlState(failure));
    }

    /**
     * Returns what to change when {@code failure} will not fix itself, naming the property to check, or
     * {@code null} when it may fix itself.
     */
    public static String remedy(Throwable failure) {
        String state = sqlState(failure);
        if (state == null) {
            return null;
        }
        return switch (state) {
            // invalid_password
            case "28P01" -> "the password was refused: check pg.broadcaster.password (or spring.datasource.password, "
                    + "which it defaults to)";
            // invalid_authorization_specification: no such role, or no pg_hba.conf entry lets it in
            case "28000" -> "the server does not let this user in: check pg.broadcaster.username (or "
                    + "spring.datasource.username, which it defaults to) and the server's pg_hba.conf";
            // invalid_catalog_name
            case "3D000" -> "the database does not exist: check the database name in pg.broadcaster.url (or "
                    + "spring.datasource.url, which it defaults to)";
            // insufficient_privilege
            case "42501" -> "the user lacks a privilege it needs: grant the user of pg.broadcaster.username (or "
                    + "spring.datasource.username) CONNECT on the database, and, with pg.broadcaster.journal.enabled=true, "
                    + "SELECT and DELETE on the journal table (pg.broadcaster.journal.table)";
            // undefined_table: the only tables the listener reads are the journal's
            case "42P01" -> "the journal table does not exist: set pg.broadcaster.journal.initialize-schema=always to have "
                    + "it created, or create it from META-INF/pg-broadcaster/journal_table.sql and journal_functions.sql "
                    + "(for a pg.broadcaster.journal.table of your own, with that name)";
            // read_only_sql_transaction: a standby, where LISTEN cannot work until it is promoted
            case STANDBY -> "LISTEN will not work on that server unless it is promoted; with every server listed and "
                    + "targetServerType=primary the driver tries them in order and keeps the one that is not in recovery";
            // The driver's own "connection rejected", which it uses when the server asks for a password and none is set.
            case "08004" -> mentionsPassword(failure) ? "the server asks for a password and none is set: set "
                    + "pg.broadcaster.password (or spring.datasource.password)" : null;
            default -> null;
        };
    }

    /**
     * Returns the SQL state of the first {@link SQLException} in the chain of causes, or {@code null}.
     */
    public static String sqlState(Throwable failure) {
        for (Throwable each = failure; each != null; each = (each.getCause() != each) ? each.getCause() : null) {
            if (each instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    private static boolean mentionsPassword(Throwable failure) {
        String message = failure.getMessage();
        return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("password");
    }

}
