package dev.pgbroadcaster.listening;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.Redaction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.postgresql.PGNotification;

/**
 * Owns the listener connection and the one thread that reads it: LISTENs on the channels, hands every
 * notification to a handler, notices a lost or silently dead connection, and reconnects with back-off until
 * it is back or it is told to stop.
 * <p>
 * The handler hears of each connection ({@link BroadcasterConnectedEvent}, after LISTEN and before any
 * notification read on it) and of each loss ({@link BroadcasterDisconnectedEvent}), on the listener thread, in
 * order with the notifications.
 */
public final class NotificationListener {

    private static final Log logger = LogFactory.getLog(NotificationListener.class);

    /** How often a failure that will not fix itself is logged again as an error while it goes on. */
    static final Duration LASTING_FAILURE_REMINDER = Duration.ofMinutes(5);

    /** What the listener hands over, in the order it happens. */
    public interface Handler {

        void handle(String channel, String payload, int processId);

        /**
         * Hands over a change read from the journal, with where it stands there: its row's id, and a transaction id
         * below which every transaction had ended and had its rows handed over before this one ({@code horizon}).
         * Every row handed over after this one has a transaction id from {@code horizon} on or a row id above
         * {@code id}.
         */
        default void handleJournalRow(String channel, String payload, int processId, long id, long horizon) {
            handle(channel, payload, processId);
        }

        /**
         * Called once the notifications of one read have all been passed to {@link #handle}.
         */
        default void endOfRead() {
        }

        void connected(BroadcasterConnectedEvent event);

        void disconnected(BroadcasterDisconnectedEvent event);

    }

    private final ListenerConnectionFactory connectionFactory;

    private final List<String> channels;

    private final Handler handler;

    private final RecoverySettings recovery;

    private final ReconnectBackOff backOff;

    private final BroadcasterObserver observer;

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    private volatile ListenerConnection connection;

    private long downSince;

    /** The host and port the last connection reached, or {@code null} before the first or when not known. */
    private String lastServer;

    private int failedStartupAttempts;

    /** What is read after each gap so that nothing sent meanwhile is missed, or {@code null}. */
    private ReplaySource source;

    /** Preparation still to be done before listening, because the database could not be reached for it yet. */
    private volatile Preparation pendingPreparation;

    /** The SQL state of the failure that will not fix itself reported last in this outage, or {@code null}. */
    private String reportedLasting;

    private long nextLastingReminder;

    private Thread thread;

    public NotificationListener(ListenerConnectionFactory connectionFactory, List<String> channels, Handler handler,
            RecoverySettings recovery, BroadcasterObserver observer) {
        this.connectionFactory = connectionFactory;
        this.channels = List.copyOf(channels);
        this.handler = handler;
        this.recovery = recovery;
        this.backOff = new ReconnectBackOff(recovery);
        this.observer = observer;
        // Not listening yet: the first connected event counts its downtime from here when startup could not connect.
        this.downSince = System.nanoTime();
    }

    /**
     * Has {@code preparation} done before the first connection is announced, because it could not be done at
     * start: the database could not be reached. Each connection attempt retries it, before LISTEN, until it is done.
     */
    public void prepareBeforeListening(Preparation preparation) {
        this.pendingPreparation = preparation;
    }

    /**
     * Has every new connection, after LISTEN and before it is announced, hand over from {@code source} what was
     * sent while there was none, and the listener ask it between reads for what no notification brought.
     */
    public void replayFrom(ReplaySource source) {
        this.source = source;
    }

    /**
     * Announces that listening could not start: the application hears of it as of a lost connection, and the
     * listener keeps trying in the background.
     */
    public void startupFailed(Exception failure) {
        this.failedStartupAttempts = Math.max(1, this.failedStartupAttempts);
        String state = ConnectionFailures.sqlState(failure);
        if (ConnectionFailures.remedy(failure) != null) {
            this.reportedLasting = state;
            this.nextLastingReminder = System.nanoTime() + LASTING_FAILURE_REMINDER.toNanos();
        }
        Throwable redacted = Redaction.exception(failure);
        this.observer.connectionFailed(redacted);
        this.handler.disconnected(new BroadcasterDisconnectedEvent(this.channels, redacted, true, Instant.now()));
    }

    /**
     * Connects and LISTENs on the calling thread, so that once this returns every notification committed from
     * then on is received.
     * @throws SQLException if the connection or LISTEN fails; {@link #startReading()} then keeps trying
     */
    public void connect() throws SQLException {
        this.downSince = System.nanoTime();
        try {
            connected(openPrepared(), false);
        }
        catch (SQLException | RuntimeException ex) {
            this.failedStartupAttempts++;
            throw ex;
        }
        logger.info("Listening on " + describeChannels() + " through " + this.connectionFactory.description()
                + describeServer(this.lastServer, false));
    }

    /**
     * Starts the listener thread, which first connects in the background if {@link #connect()} failed.
     */
    public void startReading() {
        this.thread = new Thread(this::run, "pg-broadcaster-listener");
        // Like other message listener containers, keeps a non-web application running while it listens.
        this.thread.setDaemon(false);
        this.thread.start();
    }

    public void requestStop() {
        this.stopRequested.countDown();
    }

    /**
     * Waits for the listener thread to finish, which closes the connection.
     * @return whether it finished before {@code deadline}
     */
    public boolean awaitStop(long deadline) {
        if (this.thread == null) {
            return true;
        }
        try {
            this.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !this.thread.isAlive();
    }

    /**
     * Drops the connection from outside the listener thread, which breaks a read or round trip it is stuck in.
     */
    public void abort() {
        ListenerConnection current = this.connection;
        if (current != null) {
            current.abort();
        }
    }

    private boolean stopping() {
        return this.stopRequested.getCount() == 0;
    }

    private void run() {
        try {
            if (this.connection == null && !reconnect(false, this.failedStartupAttempts)) {
                return;
            }
            while (!stopping()) {
                ListenerConnection current = this.connection;
                try {
                    handleAll(current, current.receive());
                    current.maintain();
                    if (this.source != null) {
                        this.source.maintain(current.jdbc(), this.handler);
                    }
                }
                catch (SQLException | RuntimeException ex) {
                    if (stopping()) {
                        break;
                    }
                    handleAll(current, current.receivedBeforeFailure());
                    lost(current, ex);
                    if (!reconnect(true, 0)) {
                        return;
                    }
                }
            }
        }
        finally {
            closeOnStop();
        }
    }

    private void handleAll(ListenerConnection current, List<PGNotification> notifications) {
        if (notifications.isEmpty()) {
            return;
        }
        for (PGNotification notification : notifications) {
            handle(current, notification);
        }
        try {
            this.handler.endOfRead();
        }
        catch (RuntimeException ex) {
            logger.error("Could not hand over the notifications of a read; listening goes on", ex);
        }
    }

    private void handle(ListenerConnection current, PGNotification notification) {
        try {
            if (this.source != null && current.isSourceChannel(notification.getName())) {
                this.source.notified(current.jdbc(), notification.getParameter(), notification.getPID(), this.handler);
            }
            else {
                this.handler.handle(notification.getName(), notification.getParameter(), notification.getPID());
            }
        }
        catch (RuntimeException ex) {
            logger.error("Could not hand over a notification on channel " + Identifiers.quote(notification.getName())
                    + "; listening goes on", ex);
        }
    }

    private void lost(ListenerConnection lost, Exception ex) {
        this.downSince = System.nanoTime();
        this.connection = null;
        lost.abort();
        Throwable redacted = Redaction.exception(ex);
        this.observer.connectionFailed(redacted);
        this.observer.disconnected();
        logger.warn("Lost the listener connection to " + this.connectionFactory.description() + " ("
                + Redaction.message(ex) + "); " + ((this.source != null)
                        ? "what is sent until it is back will be replayed from the journal then. Reconnecting."
                        : "notifications sent until it is back are lost. Reconnecting."));
        this.handler.disconnected(new BroadcasterDisconnectedEvent(this.channels, redacted, true, Instant.now()));
    }

    /**
     * Connects with back-off until connected, told to stop, or out of attempts.
     * @param reconnect whether a connection was up before
     * @param attemptsSoFar attempts already made in this outage
     * @return whether it is connected
     */
    private boolean reconnect(boolean reconnect, int attemptsSoFar) {
        ReconnectBackOff.Execution delays = this.backOff.start();
        int attempt = attemptsSoFar;
        Exception lastFailure = null;
        while (true) {
            long delay = delays.nextDelayMillis();
            if (delay < 0) {
                giveUp(attempt, lastFailure);
                return false;
            }
            if (awaitStopRequest(delay)) {
                return false;
            }
            attempt++;
            try {
                ListenerConnection opened = ConnectionAttempt.run(this::openPrepared, this::stopping);
                if (opened == null) {
                    return false;
                }
                BroadcasterConnectedEvent event = connected(opened, reconnect);
                logger.info((reconnect ? "Reconnected" : "Connected") + " to " + this.connectionFactory.description()
                        + describeServer(event.server(), event.serverChanged()) + " after " + attempt + (attempt == 1 ? " attempt" : " attempts") + "; listening "
                        + (reconnect ? "again " : "") + "on " + describeChannels() + " (notifications were not received for "
                        + event.downtime().toMillis() + " ms" + describeReplay(event) + ")");
                return true;
            }
            catch (SQLException | RuntimeException ex) {
                lastFailure = ex;
                Throwable redacted = Redaction.exception(ex);
                this.observer.connectionFailed(redacted);
                attemptFailed(reconnect, attempt, ex, redacted);
            }
        }
    }

    /**
     * Does the preparation still pending, then opens a connection and LISTENs, so that the preparation is done
     * before the connection is announced, and before LISTEN, which may need what it creates (the journal's table);
     * a preparation that cannot reach the database fails the attempt.
     */
    private ListenerConnection openPrepared() throws SQLException {
        Preparation pending = this.pendingPreparation;
        if (pending != null) {
            try {
                pending.prepare();
                this.pendingPreparation = null;
                logger.info("The database can be reached now: done, before listening, what was left to do at startup ("
                        + pending.description() + ")");
            }
            catch (SQLException ex) {
                throw new SQLException("could not yet " + pending.description() + ", the database cannot be reached: "
                        + Redaction.message(ex), ex.getSQLState(), ex);
            }
            catch (RuntimeException ex) {
                // It cannot succeed by trying again; listening is still worth more than not listening.
                this.pendingPreparation = null;
                logger.error("Could not " + pending.description() + "; listening goes on without it: "
                        + Redaction.message(ex), Redaction.exception(ex));
            }
        }
        return ListenerConnection.open(this.connectionFactory, this.channels, this.source, this.recovery,
                this.observer::deliveryChecked, this.observer::notificationQueueUsage);
    }

    /**
     * Logs a failed attempt: a warning when the failure may fix itself; when it will not, an error that says what to
     * change, once, then again every {@link #LASTING_FAILURE_REMINDER} while it lasts, with an event for the
     * application as for a lost connection.
     */
    private void attemptFailed(boolean reconnect, int attempt, Exception ex, Throwable redacted) {
        String what = (reconnect ? "Reconnect" : "Connection") + " attempt " + attempt + " to "
                + this.connectionFactory.description() + " failed: " + Redaction.message(ex);
        String remedy = ConnectionFailures.remedy(ex);
        if (remedy == null) {
            this.reportedLasting = null;
            logger.warn(what);
            return;
        }
        String state = ConnectionFailures.sqlState(ex);
        long now = System.nanoTime();
        if (!state.equals(this.reportedLasting)) {
            this.reportedLasting = state;
            this.nextLastingReminder = now + LASTING_FAILURE_REMINDER.toNanos();
            logger.error(what + ". This will not fix itself: " + remedy + ". The listener keeps trying (each further "
                    + "attempt that fails the same way is logged at debug level, with a reminder every "
                    + DurationText.of(LASTING_FAILURE_REMINDER) + "), so a corrected setting on the server takes "
                    + "effect without a restart.");
            this.handler.disconnected(
                    new BroadcasterDisconnectedEvent(this.channels, redacted, true, Instant.now()));
        }
        else if (now - this.nextLastingReminder >= 0) {
            this.nextLastingReminder = now + LASTING_FAILURE_REMINDER.toNanos();
            logger.error(what + ". It still fails the same way: " + remedy + ".");
        }
        else if (logger.isDebugEnabled()) {
            logger.debug(what);
        }
    }

    /**
     * Replays what was missed, if there is a replay source, then announces the connection.
     * @throws SQLException if the replay could not read what was missed: the connection is dropped
     */
    private BroadcasterConnectedEvent connected(ListenerConnection opened, boolean reconnect) throws SQLException {
        // Set first, so that stopping can drop the connection while a long replay runs on it.
        this.connection = opened;
        boolean atOnce = !reconnect && this.failedStartupAttempts == 0;
        ReplaySource.Replay replay = null;
        if (this.source != null) {
            try {
                // A start that could not connect at once is a gap too: the application may have written meanwhile.
                replay = this.source.replay(opened.jdbc(), !atOnce, this.handler, this::stopping);
            }
            catch (SQLException | RuntimeException ex) {
                this.connection = null;
                opened.abort();
                throw ex;
            }
        }
        this.reportedLasting = null;
        this.observer.connected(reconnect);
        Duration downtime = Duration.ofNanos(System.nanoTime() - this.downSince);
        String server = opened.server();
        boolean serverChanged = server != null && this.lastServer != null && !server.equals(this.lastServer);
        this.lastServer = server;
        BroadcasterConnectedEvent event = new BroadcasterConnectedEvent(this.channels, reconnect,
                atOnce ? Duration.ZERO : downtime, Instant.now(), (replay != null) ? replay.rows() : 0,
                (replay != null) ? replay.complete() : atOnce, server, serverChanged);
        this.handler.connected(event);
        return event;
    }

    private static String describeServer(String server, boolean changed) {
        if (server == null) {
            return "";
        }
        return " (server " + server + (changed ? ", a different one than before, as after a failover" : "") + ")";
    }

    private String describeReplay(BroadcasterConnectedEvent event) {
        if (this.source == null) {
            return "";
        }
        return "; replayed " + event.replayed() + " from the journal"
                + (event.complete() ? "" : ", which could not reach back to everything missed");
    }

    private void giveUp(int attempts, Exception lastFailure) {
        logger.error("Gave up connecting to " + this.connectionFactory.description() + " after " + attempts
                + " attempts (pg.broadcaster.reconnect.max-attempts=" + this.recovery.maxAttempts() + "): notifications on "
                + describeChannels() + " are no longer received. Restart the application, or raise or remove "
                + "pg.broadcaster.reconnect.max-attempts.");
        this.handler.disconnected(
                new BroadcasterDisconnectedEvent(this.channels, Redaction.exception(lastFailure), false, Instant.now()));
    }

    private boolean awaitStopRequest(long millis) {
        try {
            return this.stopRequested.await(millis, TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void closeOnStop() {
        if (this.source != null) {
            this.source.close();
        }
        ListenerConnection current = this.connection;
        this.connection = null;
        this.observer.disconnected();
        if (current != null) {
            current.close();
            logger.info("Stopped listening on " + describeChannels());
        }
    }

    private String describeChannels() {
        return this.channels.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
    }

}
