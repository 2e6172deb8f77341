package dev.pgbroadcaster.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.journal.JournalTable;
import dev.pgbroadcaster.listening.ConnectionFailures;
import dev.pgbroadcaster.listening.Preparation;
import dev.pgbroadcaster.support.Redaction;

/**
 * Creates what is missing of the journal table and its functions ({@code pg.broadcaster.journal.initialize-schema=always})
 * as the broadcaster's preparation, through the listener's connection factory: the journal lives in the database
 * the listener listens to. When that database cannot be reached at startup, the listener does it as soon as it can,
 * before it reads the journal.
 */
final class JournalInstallation implements Preparation {

    private final JournalTable table;

    private final ListenerConnectionFactory connections;

    JournalInstallation(JournalTable table, ListenerConnectionFactory connections) {
        this.table = table;
        this.connections = connections;
    }

    @Override
    public String description() {
        return "create the journal table " + this.table.name() + " (pg.broadcaster.journal.initialize-schema=always)";
    }

    @Override
    public void prepare() throws SQLException {
        Connection connection;
        try {
            connection = this.connections.connect();
        }
        catch (SQLException ex) {
            // Whatever keeps the listener from connecting keeps this from being done; it is reported as the listener's.
            throw new SQLException(Redaction.message(ex), (ex.getSQLState() != null) ? ex.getSQLState() : "08001", ex);
        }
        String server = ConnectionFailures.server(connection);
        try (connection) {
            this.table.create(connection);
        }
        catch (SQLException ex) {
            if (ex.getSQLState() != null && ex.getSQLState().startsWith("08")) {
                throw ex;
            }
            if (ConnectionFailures.isStandby(ex)) {
                throw new InvalidBroadcasterPropertyException("pg.broadcaster.url", "leads to a standby ("
                        + ((server != null) ? server : "the server") + " is in recovery), where the journal table "
                        + this.table.name() + " cannot be created (" + Redaction.message(ex) + ") and LISTEN cannot work; the listener must be on the primary, and after a failover on the new "
                        + "one. " + ConnectionFailures.STANDBY_REMEDY);
            }
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.journal.initialize-schema", "is always, but the "
                    + "journal table " + this.table.name() + " could not be created: " + Redaction.message(ex) + ". Grant "
                    + "the user of pg.broadcaster.username (or spring.datasource.username) CREATE on its schema, or create "
                    + "it in a migration from " + JournalTable.TABLE_SCRIPT + " and " + JournalTable.FUNCTIONS_SCRIPT
                    + " and set pg.broadcaster.journal.initialize-schema=never");
        }
    }

}
