package dev.pgbroadcaster.journal;

import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.ListenerConnectionFactory;
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
 * Used by the listener thread alone; the catch-up's counts run on a thread of their own ({@link CatchUpCount}).
 */
final class JournalReader implements ReplaySource {

    private static final Log logger = LogFactory.getLog(JournalReader.class);

    /** Rows read from the journal at a time. */
    private static final int FETCH_ROWS = 1000;

    /** How long a catch-up's count may take before it is given up, at least. */
    private static final long COUNT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How long one round trip of a replay may take, at least. */
    private static final int READ_TIMEOUT_MILLIS = 60_000;

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

    private final String startingPointQuery;

    private final CatchUpCount counter;

    /** The count of the catch-up under way, or {@code null}. */
    private Future<CatchUpCount.Count> counting;

    /** When the count under way started, by {@link System#nanoTime()}. */
    private long countingSince;

    private final ThrottledWarning doorbellWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    /** The snapshot of the last read, or {@code null} before the first one. */
    private Snapshot settled;

    /**
     * The snapshot the last catch-up took, which the next one checks up to: the doorbells of what it calls ended have
     * had a catch-up interval to arrive.
     */
    private Snapshot probe;

    /** The database's time when {@link #probe} was taken. */
    private Instant probeAt;

    /** Rows handed over from doorbells whose transactions {@link #settled} does not call ended: id to transaction. */
    private final Map<Long, Long> handedOver = new HashMap<>();

    /** What reads that failed midway had handed over, until a read succeeds. */
    private final List<Partial> partials = new ArrayList<>();

    /** The snapshot taken before the first LISTEN, where delivery starts, until the first replay takes it. */
    private Snapshot startingPoint;

    /** The server's timeline at the last read, which a failover changes, or {@code null} on a standby. */
    private String timeline;

    /** Set by a read that finds the server's history changed since the one before: what changed. */
    private String historyChanged;

    /** The id of the last row the read in progress handed over, or -1. */
    private long lastHandedInRead;

    /** The database's time when {@link #settled} was taken. */
    private Instant lastReadAt;

    private long nextCatchUp;

    private long oldestRunning = -1;

    private long oldestRunningSeenAt;

    /**
     * @param channels the application's channels: rows for other channels are left to other applications
     * @param startedAt when the broadcaster started: after a failed start, what was written since is replayed
     */
    JournalReader(JournalTable table, JournalSettings settings, List<String> channels, BroadcasterObserver observer,
            Instant startedAt, ListenerConnectionFactory connections) {
        this.table = table;
        this.settings = settings;
        this.channels = List.copyOf(channels);
        this.channelSet = Set.copyOf(channels);
        this.observer = observer;
        this.startedAt = startedAt;
        // The timeline (the first eight digits of the WAL file name) changes when a standby is promoted.
        String from = " FROM (SELECT pg_current_snapshot()::text AS snapshot, statement_timestamp() AS read_at, CASE WHEN "
                + "pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS timeline) s "
                + "LEFT JOIN " + table.sql() + " j ON ";
        String select = "SELECT s.snapshot, s.read_at, s.timeline, j.id, j.xid::text, j.channel, octet_length(j.payload)";
        String unsettled = "j.channel = ANY(?) AND (j.xid >= ?::text::xid8 OR j.xid = ANY(?::text::xid8[]))";
        this.sinceSnapshot = select + from + unsettled + " ORDER BY j.id";
        this.counter = new CatchUpCount(connections, "SELECT s.snapshot, s.read_at, s.timeline, count(j.id), "
                + "coalesce(sum(j.id), 0)::text" + from + unsettled + " AND j.xid < ?::text::xid8 AND "
                + "pg_visible_in_snapshot(j.xid, ?::text::pg_snapshot) GROUP BY s.snapshot, s.read_at, s.timeline",
                this.channels);
        this.sinceTime = select + from + "j.channel = ANY(?) AND j.created_at >= ? ORDER BY j.id";
        // Reads nothing but the snapshot; the table is named so that a user who may not read it hears so at once.
        this.startingPointQuery = select + from + "false";
        this.payloads = "SELECT id, payload FROM " + table.sql() + " WHERE id = ANY(?) ORDER BY id";
    }

    @Override
    public List<String> channels(Connection connection) throws SQLException {
        String channel = this.table.doorbellChannel(connection);
        if (this.settled == null) {
            // Before LISTEN, so that what commits between LISTEN and the first read is not taken as there before.
            read(connection, null, null, () -> false, false);
            this.startingPoint = this.settled;
            this.settled = null;
        }
        return List.of(channel);
    }

    @Override
    public Replay replay(Connection connection, boolean afterGap, NotificationListener.Handler handler,
            BooleanSupplier stopping) throws SQLException {
        if (!afterGap && this.settled == null && this.startingPoint != null) {
            // The first connection, made at once: delivery starts with what commits after the snapshot before LISTEN.
            settle(this.startingPoint, this.lastReadAt);
            this.observer.replayed(0, true);
            return new Replay(0, true);
        }
        // After a start that could not connect, the first read goes back to the start.
        Instant since = (this.settled != null) ? this.lastReadAt : this.startedAt;
        Read read = read(connection, handler, (this.settled == null) ? this.startedAt : null, stopping, true);
        Duration away = Duration.between(since, read.at());
        boolean complete = away.compareTo(this.settings.retention()) < 0 && this.historyChanged == null;
        if (this.historyChanged != null) {
            logger.warn("The journal replayed " + read.handedOver() + " changes, but may not have reached back to all that "
                    + "were written while the listener was away: " + this.historyChanged + ", as after a failover to a "
                    + "standby, and what was written there before the listener came back can use transaction ids it had "
                    + "already read past. Reload what depends on the journal's changes (BroadcasterConnectedEvent.complete() "
                    + "is false).");
            this.historyChanged = null;
        }
        else if (!complete) {
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
                    + "the journal's writer did not send, because " + ex.getMessage() + ": "
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
        handler.handleJournalRow(bell.channel(), text, processId, bell.id(), this.settled.xmin());
    }

    /**
     * Catches up every interval: the server counts, on a connection of the catch-up's own, the rows of the
     * transactions that {@link #probe} (taken by the catch-up before) calls ended and {@link #settled} does not;
     * when they are the ones the doorbells brought (as many, with the same sum of ids), {@link #probe} becomes
     * {@link #settled} and nothing is read. Otherwise, or when the count fails, the rows are read here. A catch-up that
     * finds nothing missing keeps the listener thread waiting for nothing; looking no further than the probe leaves
     * out the rows whose doorbells are still on their way.
     */
    @Override
    public void maintain(Connection connection, NotificationListener.Handler handler) throws SQLException {
        long now = System.nanoTime();
        if (this.counting != null) {
            if (!this.counting.isDone()) {
                long patience = Math.max(COUNT_TIMEOUT_NANOS, 3 * this.settings.catchUpInterval().toNanos());
                if (now - this.countingSince > patience) {
                    logger.debug("The journal's catch-up count did not come back; reading the journal instead");
                    this.counter.abandon();
                    this.counting = null;
                    catchUp(connection, handler, now);
                }
                return;
            }
            CatchUpCount.Count count = outcome(this.counting);
            this.counting = null;
            if (count != null && (count.settled() != this.settled || count.upTo() != this.probe)) {
                // Counted from where a replay has moved on since: the next interval counts again.
                return;
            }
            if (count != null && take(count)) {
                this.observer.caughtUp(0, horizonAge(now));
            }
            else {
                catchUp(connection, handler, now);
            }
            return;
        }
        if (now - this.nextCatchUp < 0) {
            return;
        }
        this.nextCatchUp = now + this.settings.catchUpInterval().toNanos();
        if (!this.partials.isEmpty()) {
            catchUp(connection, handler, now);
            return;
        }
        this.counting = this.counter.count(this.settled, this.probe);
        this.countingSince = now;
    }

    private void catchUp(Connection connection, NotificationListener.Handler handler, long now) throws SQLException {
        Read read = read(connection, handler, null, () -> false, false);
        if (read.handedOver() > 0 && logger.isDebugEnabled()) {
            logger.debug("The journal's catch-up delivered " + read.handedOver() + " changes no doorbell had brought");
        }
        this.observer.caughtUp(read.handedOver(), horizonAge(now));
    }

    private static CatchUpCount.Count outcome(Future<CatchUpCount.Count> counted) {
        try {
            return counted.get();
        }
        catch (ExecutionException ex) {
            logger.debug("The journal's catch-up could not count; reading the journal instead: "
                    + Redaction.message(ex.getCause()));
            return null;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Takes what the count found, if it is what the doorbells brought.
     */
    private boolean take(CatchUpCount.Count count) {
        long expected = 0;
        BigInteger idSum = BigInteger.ZERO;
        for (Map.Entry<Long, Long> row : this.handedOver.entrySet()) {
            if (count.upTo().settled(row.getValue())) {
                expected++;
                idSum = idSum.add(BigInteger.valueOf(row.getKey()));
            }
        }
        if (count.rows() != expected || !count.idSum().equals(idSum)) {
            return false;
        }
        noticeHistoryChange(count.snapshot(), count.timeline());
        settle(count.upTo(), this.probeAt);
        this.probe = count.snapshot();
        this.probeAt = count.readAt();
        this.timeline = count.timeline();
        return true;
    }

    @Override
    public void close() {
        this.counter.close();
    }

    /**
     * Reads, in one snapshot, the rows not yet handed over (all of them since {@code sinceTime} when given, else
     * those {@link #settled} does not call ended) and hands them over; with no {@code handler}, reads nothing but
     * the snapshot. Then takes that snapshot as the new {@link #settled}.
     */
    private Read read(Connection connection, NotificationListener.Handler handler, Instant sinceTime,
            BooleanSupplier stopping, boolean longGap) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        // A cursor, so that a long gap is read a page at a time; it needs a transaction.
        connection.setAutoCommit(false);
        // The first page of a long gap may take the server longer than a liveness round trip to sort; a catch-up's
        // few rows must not, so that it notices a dead connection as quickly as a liveness check.
        int networkTimeout = connection.getNetworkTimeout();
        boolean patient = longGap && networkTimeout > 0 && networkTimeout < READ_TIMEOUT_MILLIS;
        if (patient) {
            connection.setNetworkTimeout(Runnable::run, READ_TIMEOUT_MILLIS);
        }
        Read read;
        try {
            if (longGap) {
                // One snapshot for the rows and their payloads, so that none is deleted between the two.
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                }
            }
            read = readPages(connection, handler, sinceTime, stopping);
            connection.commit();
        }
        catch (SQLException | RuntimeException ex) {
            // On a connection that failed, putting it back would throw "closed" in place of what went wrong.
            endQuietly(connection, autoCommit, patient ? networkTimeout : -1);
            throw ex;
        }
        connection.setAutoCommit(autoCommit);
        if (patient) {
            connection.setNetworkTimeout(Runnable::run, networkTimeout);
        }
        return read;
    }

    private Read readPages(Connection connection, NotificationListener.Handler handler, Instant sinceTime,
            BooleanSupplier stopping) throws SQLException {
        Snapshot snapshot = null;
        Instant readAt = null;
        long handed = 0;
        List<Row> page = new ArrayList<>();
        long pageBytes = 0;
        String sql = (handler == null) ? this.startingPointQuery : (sinceTime != null) ? this.sinceTime : this.sinceSnapshot;
        String readTimeline = null;
        this.lastHandedInRead = -1;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setFetchSize(FETCH_ROWS);
            Array channelArray = connection.createArrayOf("text", this.channels.toArray());
            // Without a handler the read marks where delivery starts and takes no parameters.
            if (handler != null) {
                statement.setArray(1, channelArray);
                if (sinceTime != null) {
                    // Before the first read there is nothing to go by but the time.
                    statement.setObject(2, OffsetDateTime.ofInstant(sinceTime, ZoneOffset.UTC));
                }
                else {
                    statement.setString(2, Long.toString(this.settled.xmax()));
                    statement.setString(3, this.settled.inProgressArray());
                }
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    if (snapshot == null) {
                        snapshot = Snapshot.parse(rows.getString(1));
                        readAt = rows.getTimestamp(2).toInstant();
                        readTimeline = rows.getString(3);
                    }
                    long id = rows.getLong(4);
                    if (handler == null || rows.wasNull()) {
                        continue;
                    }
                    long xid = Long.parseLong(rows.getString(5));
                    if (handedOverBefore(id, xid)) {
                        continue;
                    }
                    Row row = new Row(id, xid, rows.getString(6), rows.getLong(7));
                    page.add(row);
                    pageBytes += row.bytes();
                    if (page.size() >= FETCH_ROWS || pageBytes >= FETCH_BYTES) {
                        handed += handOver(connection, page, handler, snapshot);
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
            handed += handOver(connection, page, handler, snapshot);
        }
        catch (SQLException | RuntimeException ex) {
            if (snapshot != null && this.lastHandedInRead >= 0) {
                this.partials.add(new Partial(snapshot, this.lastHandedInRead));
            }
            throw ex;
        }
        noticeHistoryChange(snapshot, readTimeline);
        this.partials.clear();
        settle(snapshot, readAt);
        this.timeline = readTimeline;
        return new Read(handed, readAt);
    }

    /**
     * Returns whether the row was handed over already: from a doorbell, or by a read that failed midway, which handed
     * over, in id order, the rows its snapshot saw up to the last one it got to.
     */
    private boolean handedOverBefore(long id, long xid) {
        if (this.handedOver.containsKey(id)) {
            return true;
        }
        for (Partial partial : this.partials) {
            if (id <= partial.lastId() && partial.snapshot().settled(xid)) {
                return true;
            }
        }
        return false;
    }

    // Transaction ids only grow on one server history; a promoted standby may hand out again ids the old primary had.
    private void noticeHistoryChange(Snapshot snapshot, String readTimeline) {
        if (this.settled == null || this.historyChanged != null) {
            return;
        }
        if (this.timeline != null && readTimeline != null && !this.timeline.equals(readTimeline)) {
            this.historyChanged = "the server is on timeline " + Long.parseLong(readTimeline, 16) + " now, not "
                    + Long.parseLong(this.timeline, 16);
        }
        else if (snapshot.xmax() < this.settled.xmax()) {
            this.historyChanged = "the server's next transaction id is " + snapshot.xmax() + " now, below the "
                    + this.settled.xmax() + " it had reached";
        }
    }

    /**
     * Hands over a page of rows that {@code snapshot}'s read found, in id order: all that commit later, and the rows
     * of this read after each one, have a transaction id from the snapshot's xmin on or a higher row id.
     */
    private long handOver(Connection connection, List<Row> page, NotificationListener.Handler handler, Snapshot snapshot)
            throws SQLException {
        if (page.isEmpty()) {
            return 0;
        }
        Map<Long, String> texts = fetchPayloads(connection, page.stream().map(Row::id).toList());
        long handed = 0;
        long gone = 0;
        for (Row row : page) {
            String text = texts.get(row.id());
            if (text == null) {
                // Deleted since the read saw it, which only a catch-up's read can see: retention, or a hand.
                gone++;
                continue;
            }
            handler.handleJournalRow(row.channel(), text, 0, row.id(), snapshot.xmin());
            this.lastHandedInRead = row.id();
            handed++;
        }
        handler.endOfRead();
        if (gone > 0) {
            logger.warn(gone + " journal rows were deleted (pg.broadcaster.journal.retention, or by hand) between the "
                    + "read that found them and the read of their payloads: their changes are lost");
        }
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
    private void settle(Snapshot snapshot, Instant readAt) {
        this.settled = snapshot;
        this.lastReadAt = readAt;
        this.probe = snapshot;
        this.probeAt = readAt;
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

    private static void endQuietly(Connection connection, boolean autoCommit, int networkTimeout) {
        try {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
            if (networkTimeout >= 0) {
                connection.setNetworkTimeout(Runnable::run, networkTimeout);
            }
        }
        catch (SQLException ex) {
            logger.debug("Could not roll back a read of the journal: " + Redaction.message(ex));
        }
    }

    private record Row(long id, long xid, String channel, long bytes) {

    }

    private record Partial(Snapshot snapshot, long lastId) {

    }

    private record Read(long handedOver, Instant at) {

    }

}
