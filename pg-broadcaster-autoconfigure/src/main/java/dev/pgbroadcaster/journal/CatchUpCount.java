package dev.pgbroadcaster.journal;

import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.support.Redaction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Counts, for the journal's catch-up, the rows a read would hand over, on a thread and a connection of its own, so
 * that the listener thread goes on delivering while the server counts: at thousands of changes a second the count
 * takes the server milliseconds. One count at a time; the connection is opened on the first and kept.
 */
final class CatchUpCount implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(CatchUpCount.class);

    private final ListenerConnectionFactory connections;

    private final String query;

    private final List<String> channels;

    private final ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
        Thread thread = new Thread(task, "pg-broadcaster-journal-catch-up");
        thread.setDaemon(true);
        return thread;
    });

    /** Used by the counting thread, and closed by {@link #abandon()} or {@link #close()}. */
    private volatile Connection connection;

    /**
     * @param query counts, with the parameters {@link #count} sets, and returns the snapshot, the time, the timeline,
     * the number of rows and the sum of their ids as text
     */
    CatchUpCount(ListenerConnectionFactory connections, String query, List<String> channels) {
        this.connections = connections;
        this.query = query;
        this.channels = List.copyOf(channels);
    }

    /**
     * Starts counting the rows of the application's channels whose transactions {@code settled} does not call ended
     * and {@code upTo} does.
     */
    Future<Count> count(Snapshot settled, Snapshot upTo) {
        return this.executor.submit(() -> {
            try {
                return countOnce(settled, upTo);
            }
            catch (SQLException | RuntimeException ex) {
                closeConnection();
                throw ex;
            }
        });
    }

    private Count countOnce(Snapshot settled, Snapshot upTo) throws SQLException {
        Connection current = this.connection;
        if (current == null) {
            current = this.connections.connect();
            this.connection = current;
            // Told apart from the listener's own session in pg_stat_activity.
            String name = current.getClientInfo("ApplicationName");
            String prefix = (name != null && !name.isEmpty()) ? name + " " : "";
            current.setClientInfo("ApplicationName", prefix + "journal catch-up");
        }
        try (PreparedStatement statement = current.prepareStatement(this.query)) {
            Array channelArray = current.createArrayOf("text", this.channels.toArray());
            try {
                statement.setArray(1, channelArray);
                statement.setString(2, Long.toString(settled.xmax()));
                statement.setString(3, settled.inProgressArray());
                statement.setString(4, Long.toString(upTo.xmax()));
                statement.setString(5, upTo.toString());
                try (ResultSet tally = statement.executeQuery()) {
                    tally.next();
                    return new Count(settled, upTo, tally.getLong(4), new BigInteger(tally.getString(5)),
                            Snapshot.parse(tally.getString(1)), tally.getTimestamp(2).toInstant(), tally.getString(3));
                }
            }
            finally {
                channelArray.free();
            }
        }
    }

    /**
     * Gives up on a count that does not come back (a connection gone silent): closes its connection, which ends it.
     */
    void abandon() {
        closeConnection();
    }

    @Override
    public void close() {
        this.executor.shutdown();
        try {
            if (!this.executor.awaitTermination(1, TimeUnit.SECONDS)) {
                this.executor.shutdownNow();
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }

    private void closeConnection() {
        Connection current = this.connection;
        this.connection = null;
        if (current != null) {
            try {
                current.close();
            }
            catch (SQLException ex) {
                logger.debug("Could not close the journal's catch-up connection: " + Redaction.message(ex));
            }
        }
    }

    /**
     * What one count found.
     *
     * @param settled the snapshot the count started from
     * @param upTo the snapshot it counted up to
     * @param rows the number of rows
     * @param idSum the sum of their ids
     * @param snapshot the snapshot the count was taken in
     * @param readAt the database's time then
     * @param timeline the server's timeline then, or {@code null} on a standby
     */
    record Count(Snapshot settled, Snapshot upTo, long rows, BigInteger idSum, Snapshot snapshot, Instant readAt,
            String timeline) {

    }

}
