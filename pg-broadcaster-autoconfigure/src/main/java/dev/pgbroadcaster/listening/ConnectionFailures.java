package dev.pgbroadcaster.listening;

import java.sql.SQLException;

/**
 * Tells a connection failure that will not fix itself (a wrong password, a database that does not exist, a
 * missing privilege) from one that may (the server is down, the network failed), and what to change for the
 * first kind. Waiting does not help the first kind, but the listener keeps trying anyway: a rotated password or a
 * database created later fixes it without a restart.
 */
public final class ConnectionFailures {

    private ConnectionFailures() {
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
