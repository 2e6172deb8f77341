package dev.pgbroadcaster.journal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Semaphore;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.dispatch.Notification.JournalPosition;

/**
 * What the journal holds after a position: the changes a client that saw the change at that position has not seen,
 * for a client that comes back (a browser reconnecting with {@code Last-Event-ID}). Read on a connection of its
 * own from the listener's connection factory, a few clients at a time, so that a crowd reconnecting at once after a
 * restart does not open a connection each.
 */
public final class JournalBacklog {

    /** How many clients' backlogs are read at a time. */
    static final int CONCURRENT_READS = 2;

    private final JournalTable table;

    private final ListenerConnectionFactory connections;

    private final Semaphore reads = new Semaphore(CONCURRENT_READS, true);

    private final String exists;

    private final String since;

    private final String now;

    JournalBacklog(JournalTable table, ListenerConnectionFactory connections) {
        this.table = table;
        this.connections = connections;
        this.exists = "SELECT EXISTS (SELECT 1 FROM " + table.sql() + " WHERE id = ?)";
        this.since = "SELECT id, channel, payload FROM " + table.sql() + " WHERE channel = ANY(?) AND id <> ? AND "
                + "(xid >= ?::text::xid8 OR id > ?) ORDER BY id LIMIT ?";
        this.now = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, coalesce(max(id), 0) FROM " + table.sql();
    }

    /**
     * Returns a position for a client that has seen everything up to now: what commits from now on, and what had
     * committed but is not handed over yet, come after it.
     * @throws SQLException if the journal cannot be read
     * @throws InterruptedException if the thread is interrupted while it waits for its turn
     */
    public JournalPosition now() throws SQLException, InterruptedException {
        this.reads.acquire();
        try (Connection connection = this.connections.connect();
                PreparedStatement statement = connection.prepareStatement(this.now);
                ResultSet result = statement.executeQuery()) {
            result.next();
            return new JournalPosition(Long.parseLong(result.getString(1)), result.getLong(2));
        }
        finally {
            this.reads.release();
        }
    }

    /**
     * Reads the changes on {@code channels} after {@code position}, in the order of their ids, at most {@code limit}.
     * @return the changes; not {@link Backlog#reachable() reachable} when the row at the position is gone (deleted
     * after the retention) or there are more than {@code limit}, so the client must reload instead
     * @throws SQLException if the journal cannot be read
     * @throws InterruptedException if the thread is interrupted while it waits for its turn
     */
    public Backlog since(JournalPosition position, Collection<String> channels, int limit)
            throws SQLException, InterruptedException {
        this.reads.acquire();
        try (Connection connection = this.connections.connect()) {
            connection.setAutoCommit(false);
            connection.setReadOnly(true);
            // One snapshot for both statements, so that what the first finds is still there for the second.
            try (var statement = connection.createStatement()) {
                statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            }
            if (!rowExists(connection, position.id())) {
                connection.rollback();
                return new Backlog(false, List.of());
            }
            List<Change> changes = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(this.since)) {
                Array channelArray = connection.createArrayOf("text", channels.toArray());
                try {
                    statement.setArray(1, channelArray);
                    statement.setLong(2, position.id());
                    statement.setString(3, Long.toString(position.horizon()));
                    statement.setLong(4, position.id());
                    statement.setInt(5, limit + 1);
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            changes.add(new Change(rows.getString(2), rows.getString(3), rows.getLong(1)));
                        }
                    }
                }
                finally {
                    channelArray.free();
                }
            }
            connection.rollback();
            return (changes.size() > limit) ? new Backlog(false, List.of()) : new Backlog(true, changes);
        }
        finally {
            this.reads.release();
        }
    }

    private boolean rowExists(Connection connection, long id) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(this.exists)) {
            statement.setLong(1, id);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() && result.getBoolean(1);
            }
        }
    }

    /**
     * Returns the journal table's name, for messages.
     */
    public String tableName() {
        return this.table.name().toString();
    }

    /**
     * The changes after a position.
     *
     * @param reachable whether they are all of them: {@code false} when the journal no longer reaches back to the
     * position, or holds more than were asked for
     * @param changes the changes, in the order of their ids; empty when not reachable
     */
    public record Backlog(boolean reachable, List<Change> changes) {

    }

    /**
     * A change from the journal.
     *
     * @param channel its channel
     * @param payload its payload, as written (a trace context's envelope included)
     * @param id its row's id
     */
    public record Change(String channel, String payload, long id) {

    }

}
