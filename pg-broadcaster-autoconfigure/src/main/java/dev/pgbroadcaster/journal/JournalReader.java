package dev.pgbroadcaster.journal;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.listening.NotificationListener;
import dev.pgbroadcaster.listening.ReplaySource;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Excerpts;
import dev.pgbroadcaster.support.Redaction;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Reads the journal on the listener connection, so that each change written while the broadcaster runs is handed
 * over exactly once: live from its doorbell, or from a read of the journal after a gap (a replay) or between reads
 * (a catch-up) when the doorbell did not come.
 * <p>
 * Which rows have been handed over is known from the snapshot of the last read, not from the last id: ids are taken
 * when a row is written and become visible when its transaction commits, in another order. Every row of a
 * transaction the snapshot calls ended was visible to that read, and was handed over then or before; a later read
 * looks only at rows of the transactions that were still running or had not started, which are few and found
 * through the index on {@code xid}. Rows handed over from a doorbell before a read could see them are remembered
 * by id until a read's snapshot covers them, which bounds what is remembered by what commits between two reads.
 * Used by the listener thread alone.
 */
final class JournalReader implements ReplaySource {

    private static final Log logger = LogFactory.getLog(JournalReader.class);

    /** Rows read from the journal at a time. */
    private static final int FETCH_ROWS = 1000;

    /** The most payload bytes fetched in one round trip. */
    private static final long FETCH_BYTES = 4L * 1024 * 1024;

    private final JournalTable table;

    private final JournalSettings settings;

    private final List<String> channels;

    private final Set<String> channelSet;

    private final BroadcasterObserver observer;

    private final Instant startedAt;

    private final String sinceSnapshot;

    private final String sinceTime;

    private final String payloads;

    private final String baseline = "SELECT pg_current_snapshot()::text, statement_timestamp()";

    private final ThrottledWarning doorbellWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    /** The snapshot of the last read, or {@code null} before the first one. */
    private Snapshot settled;

    /** Rows handed over whose transactions {@link #settled} does not call ended: id to transaction. */
    private final Map<Long, Long> handedOver = new HashMap<>();

    /** The database's time of the last read. */
    private Instant lastReadAt;

    private long nextCatchUp;

    private long oldestRunning = -1;

    private long oldestRunningSeenAt;

    /**
     * @param channels the application's channels: rows for other channels are left to other applications
     * @param startedAt when the broadcaster started: after a failed start, what was written since is replayed
     */
    JournalReader(JournalTable table, JournalSettings settings, List<String> channels, BroadcasterObserver observer,
            Instant startedAt) {
        this.table = table;
        this.settings = settings;
        this.channels = List.copyOf(channels);
        this.channelSet = Set.copyOf(channels);
        this.observer = observer;
        this.startedAt = startedAt;
        String from = " FROM (SELECT pg_current_snapshot()::text AS snapshot, statement_timestamp() AS read_at) s LEFT JOIN "
                + table.sql() + " j ON j.channel = ANY(?) AND ";
        String select = "SELECT s.snapshot, s.read_at, j.id, j.xid::text, j.channel, octet_length(j.payload)";
        this.sinceSnapshot = select + from + "(j.xid >= ?::text::xid8 OR j.xid = ANY(?::text::xid8[])) ORDER BY j.id";
        this.sinceTime = select + from + "j.created_at >= ? ORDER BY j.id";
        this.payloads = "SELECT id, payload FROM " + table.sql() + " WHERE id = ANY(?) ORDER BY id";
    }

    @Override
    public List<String> channels(Connection connection) throws SQLException {
        return List.of(this.table.doorbellChannel(connection));
    }

    @Override
    public Replay replay(Connection connection, boolean afterGap, NotificationListener.Handler handler,
            BooleanSupplier stopping) throws SQLException {
        if (!afterGap && this.settled == null) {
            // The first connection, made at once: delivery starts with what commits from now on.
            read(connection, null, null, stopping);
            this.observer.replayed(0, true);
            return new Replay(0, true);
        }
        Instant since = (this.lastReadAt != null) ? this.lastReadAt : this.startedAt;
        Read read = read(connection, handler, (this.settled == null) ? this.startedAt : null, stopping);
        Duration away = Duration.between(since, read.at());
        boolean complete = away.compareTo(this.settings.retention()) < 0;
        if (!complete) {
            logger.warn("The journal replayed " + read.handedOver() + " changes, but may not have reached back to all "
                    + "that were written while the listener was away: that was " + DurationText.of(away) + ", longer than "
                    + "pg.broadcaster.journal.retention (" + DurationText.of(this.settings.retention()) + "), so rows may "
                    + "have been deleted before they could be read. Reload what depends on them "
                    + "(BroadcasterConnectedEvent.complete() is false), or raise pg.broadcaster.journal.retention.");
        }
        this.observer.replayed(read.handedOver(), complete);
        return new Replay(read.handedOver(), complete);
    }

    @Override
    public void notified(Connection connection, String payload, int processId, NotificationListener.Handler handler) {
        Doorbell bell;
        try {
            bell = Doorbell.parse(payload);
        }
        catch (IllegalArgumentException ex) {
            this.doorbellWarning.warn(() -> "Ignored a notification on the journal's doorbell channel that "
                    + "pg_broadcaster_journal_send() did not send, because " + ex.getMessage() + ": "
                    + Excerpts.of(payload) + ". The journal's catch-up delivers what the doorbell misses.", null);
            return;
        }
        if (!this.channelSet.contains(bell.channel()) || this.settled == null || this.settled.settled(bell.xid())
                || this.handedOver.containsKey(bell.id())) {
            return;
        }
        String text = bell.payload();
        if (text == null) {
            try {
                text = fetchPayloads(connection, List.of(bell.id())).get(bell.id());
            }
            catch (SQLException ex) {
                logger.debug("Could not read journal row " + bell.id() + " now; the next read of the journal will", ex);
                return;
            }
            if (text == null) {
                logger.warn("Journal row " + bell.id() + " was gone when its doorbell was read (deleted by "
                        + "pg.broadcaster.journal.retention, or by hand): its change on " + bell.channel() + " is lost");
                return;
            }
        }
        this.handedOver.put(bell.id(), bell.xid());
        handler.handle(bell.channel(), text, processId);
    }

    @Override
    public void maintain(Connection connection, NotificationListener.Handler handler) throws SQLException {
        long now = System.nanoTime();
        if (now - this.nextCatchUp < 0) {
            return;
        }
        this.nextCatchUp = now + this.settings.catchUpInterval().toNanos();
        Read read = read(connection, handler, null, () -> false);
        if (read.handedOver() > 0 && logger.isDebugEnabled()) {
            logger.debug("The journal's catch-up delivered " + read.handedOver() + " changes no doorbell had brought");
        }
        this.observer.caughtUp(read.handedOver(), horizonAge(now));
    }

    /**
     * Reads, in one snapshot, the rows not yet handed over (all of them since {@code sinceTime} when given, else
     * those {@link #settled} does not call ended) and hands them over; with no {@code handler}, reads nothing but
     * the snapshot. Then takes that snapshot as the new {@link #settled}.
     */
    private Read read(Connection connection, NotificationListener.Handler handler, Instant sinceTime,
            BooleanSupplier stopping) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        // A cursor, so that a long gap is read a page at a time; it needs a transaction.
        connection.setAutoCommit(false);
        Read read;
        try {
            read = readPages(connection, handler, sinceTime, stopping);
            connection.commit();
        }
        catch (SQLException | RuntimeException ex) {
            // On a connection that failed, putting it back would throw "closed" in place of what went wrong.
            endQuietly(connection, autoCommit);
            throw ex;
        }
        connection.setAutoCommit(autoCommit);
        return read;
    }

    private Read readPages(Connection connection, NotificationListener.Handler handler, Instant sinceTime,
            BooleanSupplier stopping) throws SQLException {
        Snapshot snapshot = null;
        Instant readAt = null;
        long handed = 0;
        List<Row> page = new ArrayList<>();
        long pageBytes = 0;
        String sql = (handler == null) ? this.baseline : (sinceTime != null) ? this.sinceTime : this.sinceSnapshot;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setFetchSize(FETCH_ROWS);
            Array channelArray = connection.createArrayOf("text", this.channels.toArray());
            if (handler == null) {
                // Marks where delivery starts: nothing is handed over.
            }
            else if (sinceTime != null) {
                // Before the first read there is nothing to go by but the time.
                statement.setArray(1, channelArray);
                statement.setObject(2, OffsetDateTime.ofInstant(sinceTime, ZoneOffset.UTC));
            }
            else {
                statement.setArray(1, channelArray);
                statement.setString(2, Long.toString(this.settled.xmax()));
                statement.setString(3, this.settled.inProgressArray());
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    if (snapshot == null) {
                        snapshot = Snapshot.parse(rows.getString(1));
                        readAt = rows.getTimestamp(2).toInstant();
                    }
                    if (handler == null) {
                        break;
                    }
                    long id = rows.getLong(3);
                    if (rows.wasNull() || this.handedOver.containsKey(id)) {
                        continue;
                    }
                    Row row = new Row(id, Long.parseLong(rows.getString(4)), rows.getString(5), rows.getLong(6));
                    page.add(row);
                    pageBytes += row.bytes();
                    if (page.size() >= FETCH_ROWS || pageBytes >= FETCH_BYTES) {
                        handed += handOver(connection, page, handler);
                        page.clear();
                        pageBytes = 0;
                        if (stopping.getAsBoolean()) {
                            throw new SQLException("the listener is stopping; the journal read was cut short", "57014");
                        }
                    }
                }
            }
            finally {
                channelArray.free();
            }
        }
        handed += handOver(connection, page, handler);
        settle(snapshot);
        this.lastReadAt = readAt;
        return new Read(handed, readAt);
    }

    private long handOver(Connection connection, List<Row> page, NotificationListener.Handler handler) throws SQLException {
        if (page.isEmpty()) {
            return 0;
        }
        Map<Long, String> texts = fetchPayloads(connection, page.stream().map(Row::id).toList());
        long handed = 0;
        for (Row row : page) {
            String text = texts.get(row.id());
            if (text == null) {
                // Deleted since the read saw it: only retention, or a hand, deletes rows.
                continue;
            }
            this.handedOver.put(row.id(), row.xid());
            handler.handle(row.channel(), text, 0);
            handed++;
        }
        handler.endOfRead();
        return handed;
    }

    private Map<Long, String> fetchPayloads(Connection connection, List<Long> ids) throws SQLException {
        Map<Long, String> texts = new HashMap<>(ids.size() * 2);
        try (PreparedStatement statement = connection.prepareStatement(this.payloads)) {
            Array idArray = connection.createArrayOf("int8", ids.toArray());
            try {
                statement.setArray(1, idArray);
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        texts.put(rows.getLong(1), rows.getString(2));
                    }
                }
            }
            finally {
                idArray.free();
            }
        }
        return texts;
    }

    // What the new snapshot calls ended was all read, so only the rows of transactions it does not need remembering.
    private void settle(Snapshot snapshot) {
        this.settled = snapshot;
        this.handedOver.values().removeIf(snapshot::settled);
    }

    private Duration horizonAge(long now) {
        Snapshot current = this.settled;
        if (current == null || current.quiet()) {
            this.oldestRunning = -1;
            return Duration.ZERO;
        }
        if (current.xmin() != this.oldestRunning) {
            this.oldestRunning = current.xmin();
            this.oldestRunningSeenAt = now;
        }
        return Duration.ofNanos(now - this.oldestRunningSeenAt);
    }

    private static void endQuietly(Connection connection, boolean autoCommit) {
        try {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
        catch (SQLException ex) {
            logger.debug("Could not roll back a read of the journal: " + Redaction.message(ex));
        }
    }

    private record Row(long id, long xid, String channel, long bytes) {

    }

    private record Read(long handedOver, Instant at) {

    }

}
