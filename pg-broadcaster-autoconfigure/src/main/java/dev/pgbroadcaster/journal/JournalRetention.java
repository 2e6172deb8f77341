package dev.pgbroadcaster.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Redaction;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Deletes the journal's rows older than the retention, every cleanup interval, on a thread of its own and a
 * connection of its own, so that the listener never waits for it. Each batch of at most {@value #BATCH} rows is
 * its own transaction under an advisory lock taken without waiting: one instance at a time deletes, the others
 * skip that round, and no batch holds locks for long on a busy table.
 */
public final class JournalRetention implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(JournalRetention.class);

    static final int BATCH = 1000;

    // Any constant unlikely to clash will do, combined with the table's oid so that journals clean up apart.
    private static final int LOCK_CLASS = 0x7062_6a72;

    private final JournalTable table;

    private final JournalSettings settings;

    private final ListenerConnectionFactory connections;

    private final BroadcasterObserver observer;

    private final ThrottledWarning failureWarning = new ThrottledWarning(logger, Duration.ofMinutes(5));

    private final ScheduledExecutorService executor;

    private volatile boolean closed;

    JournalRetention(JournalTable table, JournalSettings settings, ListenerConnectionFactory connections,
            BroadcasterObserver observer) {
        this.table = table;
        this.settings = settings;
        this.connections = connections;
        this.observer = observer;
        this.executor = Executors.newSingleThreadScheduledExecutor((task) -> {
            Thread thread = new Thread(task, "pg-broadcaster-journal-cleanup");
            thread.setDaemon(true);
            return thread;
        });
        long interval = settings.cleanupInterval().toMillis();
        this.executor.scheduleWithFixedDelay(this::cleanUp, interval, interval, TimeUnit.MILLISECONDS);
    }

    /**
     * Deletes what is older than the retention, batch by batch, unless another instance is at it.
     * @return how many rows it deleted
     */
    public long cleanUp() {
        long deleted = 0;
        try (Connection connection = this.connections.connect()) {
            connection.setAutoCommit(false);
            String delete = "DELETE FROM " + this.table.sql() + " WHERE id IN (SELECT id FROM " + this.table.sql()
                    + " WHERE created_at < statement_timestamp() - make_interval(secs => ?) ORDER BY created_at LIMIT "
                    + BATCH + ")";
            int batch;
            do {
                if (!locked(connection)) {
                    connection.rollback();
                    break;
                }
                try (PreparedStatement statement = connection.prepareStatement(delete)) {
                    statement.setDouble(1, this.settings.retention().toMillis() / 1000.0);
                    batch = statement.executeUpdate();
                }
                connection.commit();
                deleted += batch;
            }
            while (batch == BATCH && !this.closed);
        }
        catch (SQLException | RuntimeException ex) {
            this.failureWarning.warn(() -> "Could not delete the journal rows older than pg.broadcaster.journal.retention ("
                    + DurationText.of(this.settings.retention()) + ") from " + this.table.name() + ": "
                    + Redaction.message(ex) + "; trying again in " + DurationText.of(this.settings.cleanupInterval()), null);
        }
        if (deleted > 0) {
            this.observer.journalCleaned(deleted);
            if (logger.isDebugEnabled()) {
                logger.debug("Deleted " + deleted + " journal rows older than " + DurationText.of(this.settings.retention()));
            }
        }
        return deleted;
    }

    private boolean locked(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_try_advisory_xact_lock(?, (to_regclass(?)::oid)::int)")) {
            statement.setInt(1, LOCK_CLASS);
            statement.setString(2, this.table.sql());
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getBoolean(1);
            }
        }
    }

    /**
     * Stops deleting, waiting a moment for a batch in progress.
     */
    @Override
    public void close() {
        this.closed = true;
        this.executor.shutdownNow();
        try {
            this.executor.awaitTermination(1, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
