package dev.pgbroadcaster.core;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.Subscription;
import dev.pgbroadcaster.dispatch.ApplicationEventDelivery;
import dev.pgbroadcaster.dispatch.Dispatcher;
import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.NotificationSink;
import dev.pgbroadcaster.dispatch.Sinks;
import dev.pgbroadcaster.dispatch.Subscriptions;
import dev.pgbroadcaster.journal.Journal;
import dev.pgbroadcaster.journal.JournalBacklog;
import dev.pgbroadcaster.journal.JournalRetention;
import dev.pgbroadcaster.listening.ConnectionFailures;
import dev.pgbroadcaster.listening.NotificationListener;
import dev.pgbroadcaster.listening.Preparation;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.payload.InvalidPayloadException;
import dev.pgbroadcaster.payload.PayloadDecoder;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Redaction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.SmartLifecycle;

/**
 * The broadcaster: listens on the configured channels once the application context is refreshed, decodes
 * each payload, and delivers it through a bounded dispatch queue to the application's event listeners and to
 * the programmatic subscribers. On context close it stops reading, delivers what is queued within the
 * shutdown timeout, reports what it could not deliver, and leaves no thread or connection behind.
 */
public final class PgBroadcaster implements Broadcaster, SmartLifecycle, ApplicationContextAware, DisposableBean {

    private static final Log logger = LogFactory.getLog(PgBroadcaster.class);

    /** How long stopping waits for the listener to UNLISTEN and close before dropping its connection. */
    private static final Duration LISTENER_STOP_GRACE = Duration.ofSeconds(1);

    private final ListenerConnectionFactory connectionFactory;

    private final BroadcasterSettings settings;

    private final RecoverySettings recovery;

    private final BroadcasterStatistics statistics;

    private final CompositeObserver observer;

    private final Subscriptions subscriptions;

    private PayloadDecoder decoder = PayloadDecoder.changeNotifications();

    private Preparation preparation;

    private Journal journal;

    private JournalRetention retention;

    private volatile JournalBacklog backlog;

    private Supplier<? extends List<? extends BroadcasterObserver>> observers = List::of;

    private Supplier<? extends List<? extends NotificationSink>> sinks = List::of;

    private final Object lifecycleMonitor = new Object();

    private ApplicationContext applicationContext;

    private volatile Dispatcher dispatcher;

    private volatile NotificationListener listener;

    private HealthWatch healthWatch;

    /**
     * Creates a broadcaster set up as {@code settings} say, which it keeps its counts in.
     */
    public PgBroadcaster(ListenerConnectionFactory connectionFactory, BroadcasterSettings settings,
            BroadcasterStatistics statistics) {
        this.connectionFactory = connectionFactory;
        this.settings = settings;
        this.recovery = settings.recovery();
        this.statistics = statistics;
        this.observer = new CompositeObserver(statistics);
        this.subscriptions = new Subscriptions(settings.dispatch().subscriberQueueCapacity(),
                settings.dispatch().overflowPolicy(), this.observer, settings.dispatch().threadKind());
    }

    /**
     * Sets what each channel's payloads are decoded to; by default every payload is a
     * {@link ChangeNotification}. Takes effect the next time the broadcaster starts.
     */
    public void setPayloadDecoder(PayloadDecoder decoder) {
        this.decoder = decoder;
    }

    /**
     * Sets where to find who hears, besides the statistics, what happens to each notification and to the listener
     * connection (metrics, an application's own observers), in their order. Asked when the broadcaster starts, so
     * that observers may themselves depend on the broadcaster.
     */
    public void setObservers(Supplier<? extends List<? extends BroadcasterObserver>> observers) {
        this.observers = observers;
    }

    /**
     * Sets where to find the sinks that take each delivered notification, and the connection events, after the
     * listeners and subscribers (a stream to browsers), in their order. Asked when the broadcaster starts.
     */
    public void setSinks(Supplier<? extends List<? extends NotificationSink>> sinks) {
        this.sinks = sinks;
    }

    /**
     * Sets database work to do before listening starts, such as installing triggers. Takes effect the next time
     * the broadcaster starts.
     */
    public void setPreparation(Preparation preparation) {
        this.preparation = preparation;
    }

    /**
     * Has the broadcaster deliver every change written to {@code journal} while it runs, exactly once: live from
     * each doorbell, replayed after each gap. Takes effect the next time the broadcaster starts.
     */
    public void setJournal(Journal journal) {
        this.journal = journal;
        this.backlog = (journal != null) ? journal.backlog() : null;
    }

    /**
     * Returns whether changes come from the journal, and so have a {@link Notification#position() position} that a
     * client can come back with.
     */
    public boolean hasJournal() {
        return this.backlog != null;
    }

    /**
     * Reads from the journal the changes on {@code channels} after {@code position}, decoded as the listener decodes
     * them, each with its position; a payload that is not of its channel's type is left out.
     * @return the changes in the order of their ids, or {@code null} when the journal no longer reaches back to the
     * position or holds more than {@code limit} changes after it
     * @throws IllegalStateException if there is no journal
     * @throws SQLException if the journal cannot be read
     * @throws InterruptedException if interrupted while waiting for its turn to read
     */
    public List<Notification> changesAfter(Notification.JournalPosition position, Collection<String> channels,
            int limit) throws SQLException, InterruptedException {
        JournalBacklog.Backlog found = journalBacklog().since(position, channels, limit);
        if (!found.reachable()) {
            return null;
        }
        List<Notification> changes = new ArrayList<>(found.changes().size());
        for (JournalBacklog.Change change : found.changes()) {
            try {
                changes.add(Intake.notification(this.decoder, change.channel(), change.payload(), 0,
                        new Notification.JournalPosition(position.horizon(), change.id()), System.nanoTime()));
            }
            catch (InvalidPayloadException ex) {
                logger.debug("Left journal row " + change.id() + " out of a client's backlog: " + ex.getMessage());
            }
        }
        return changes;
    }

    /**
     * Returns the journal position of a client that has seen every change up to now.
     * @throws IllegalStateException if there is no journal
     * @throws SQLException if the journal cannot be read
     * @throws InterruptedException if interrupted while waiting for its turn to read
     */
    public Notification.JournalPosition journalPositionNow() throws SQLException, InterruptedException {
        return journalBacklog().now();
    }

    private JournalBacklog journalBacklog() {
        JournalBacklog current = this.backlog;
        if (current == null) {
            throw new IllegalStateException("The broadcaster has no journal (pg.broadcaster.journal.enabled=false)");
        }
        return current;
    }

    @Override
    public void setApplicationContext(ApplicationContext applicationContext) {
        this.applicationContext = applicationContext;
    }

    @Override
    public Subscription subscribe(Consumer<ChangeNotification> callback) {
        return this.subscriptions.add(callback);
    }

    /**
     * Returns the channels it listens on.
     */
    public List<String> channels() {
        return this.settings.channels();
    }

    /**
     * Returns who hears what happens to each notification: the statistics, then every observer (metrics, the
     * application's own), for a sink that drops notifications to count them as the subscribers' drops are.
     */
    public BroadcasterObserver observer() {
        return this.observer;
    }

    /**
     * Returns how many notifications wait for a dispatch thread.
     */
    public int dispatchQueueSize() {
        Dispatcher current = this.dispatcher;
        return (current != null) ? current.queued() : 0;
    }

    /**
     * Says why the broadcaster is stuck, for an operator: its dispatch queue has been full, with no notification
     * started, for at least {@code pg.broadcaster.health.stuck-after}, so a listener does not return; {@code null}
     * when it is not stuck. Names the listener and where its thread is, which takes a look at that thread's stack.
     */
    public String stuck() {
        Dispatcher current = this.dispatcher;
        Duration fullFor = (current != null) ? current.queueFullFor() : null;
        Duration stuckAfter = this.settings.health().stuckAfter();
        if (fullFor == null || fullFor.compareTo(stuckAfter) < 0) {
            return null;
        }
        return current.describeStall(fullFor) + " (pg.broadcaster.health.stuck-after=" + DurationText.of(stuckAfter) + ")";
    }

    /**
     * Says why the server's notification queue is filling up, for an operator: its usage, as the listener connection
     * last read it, is at or above {@code pg.broadcaster.health.queue-usage-threshold}; {@code null} when it is not,
     * or has not been read.
     */
    public String notificationQueueFilling() {
        BroadcasterStatistics.NotificationQueue queue = this.statistics.notificationQueue();
        double threshold = this.settings.health().queueUsageThreshold();
        if (queue == null || queue.usage() < threshold) {
            return null;
        }
        return "The server's notification queue is " + String.format(Locale.ROOT, "%.2f", queue.usage() * 100)
                + "% full (pg_notification_queue_usage() = " + plain(queue.usage()) + " at " + queue.readAt()
                + ", at or above pg.broadcaster.health.queue-usage-threshold=" + plain(threshold) + "): its tail waits for "
                + "the slowest session that LISTENs on the server, and once it is full every NOTIFY on the server fails "
                + "at commit";
    }

    // 0.0001 rather than 1.0E-4, as it would be written in application.yml.
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    @Override
    public void start() {
        synchronized (this.lifecycleMonitor) {
            if (this.listener != null) {
                return;
            }
            this.subscriptions.reopen();
            this.observer.setOthers(this.statistics, this.observers.get());
            BroadcasterSettings.Dispatch dispatch = this.settings.dispatch();
            Dispatcher starting = new Dispatcher(dispatch.threads(), dispatch.threadKind(), dispatch.queueCapacity(),
                    dispatch.overflowPolicy(), ApplicationEventDelivery.of(this.applicationContext, this.observer),
                    this.subscriptions, this.observer, Sinks.of(this.sinks.get()));
            this.dispatcher = starting;
            NotificationListener listening = new NotificationListener(this.connectionFactory, this.settings.channels(),
                    new Intake(this.decoder, starting, this.observer, this.statistics, this.settings.channels()),
                    this.recovery, this.observer);
            if (this.journal != null) {
                listening.replayFrom(this.journal.reader(this.settings.channels(), this.observer));
            }
            Exception failure = prepare(listening);
            if (failure == null) {
                failure = connect(listening);
            }
            if (failure != null) {
                listening.startupFailed(failure);
            }
            listening.startReading();
            this.listener = listening;
            this.healthWatch = new HealthWatch(this.settings.health().stuckAfter(), this::stuck,
                    this::notificationQueueFilling);
            if (this.journal != null) {
                this.retention = this.journal.startRetention(this.observer);
            }
        }
    }

    /**
     * LISTENs, on the calling thread, so that once this returns every notification committed from then on is received.
     * @return the failure that kept it from listening now, or {@code null}
     */
    private Exception connect(NotificationListener listening) {
        try {
            listening.connect();
            return null;
        }
        catch (SQLException | RuntimeException ex) {
            String remedy = ConnectionFailures.remedy(ex);
            String problem = ("pg-broadcaster could not LISTEN on " + this.settings.channels() + " through "
                    + this.connectionFactory.description() + ": " + Redaction.message(ex) + ". "
                    + ((remedy != null) ? "This will not fix itself: " + remedy + ". " : "")
                    // A standby's failure says itself which setting to change; the credentials are fine.
                    + (ConnectionFailures.isStandby(ex) ? ""
                            : "Check pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password, "
                                    + "or the spring.datasource settings they default to.")).strip();
            failStartupIfFailFast(problem, ex);
            String rest = " The application starts anyway and the listener keeps trying in the background "
                    + "(pg.broadcaster.reconnect.*); a BroadcasterConnectedEvent is published once it listens. "
                    + "Set pg.broadcaster.fail-fast=true to make startup fail instead.";
            if (remedy != null) {
                logger.error(problem + rest);
            }
            else {
                logger.warn(problem + rest);
            }
            return ex;
        }
    }

    /**
     * Does the preparation, if any, before the first connection attempt. When it cannot reach the database, the
     * listener does it before it announces its first connection.
     * @return the failure that keeps it from being done now, or {@code null}
     */
    private Exception prepare(NotificationListener starting) {
        Preparation pending = this.preparation;
        if (pending == null) {
            return null;
        }
        try {
            pending.prepare();
            return null;
        }
        catch (SQLException ex) {
            String problem = "pg-broadcaster could not " + pending.description() + ": the database cannot be "
                    + "reached (" + Redaction.message(ex) + "). Check spring.datasource.url, spring.datasource.username and "
                    + "spring.datasource.password.";
            failStartupIfFailFast(problem, ex);
            logger.warn(problem + " The application starts anyway: once the database can be reached, the listener "
                    + "will " + pending.description() + ", then listen on " + this.settings.channels()
                    + " and publish a BroadcasterConnectedEvent (pg.broadcaster.reconnect.* sets how often it tries). "
                    + "Set pg.broadcaster.fail-fast=true to make startup fail instead.");
            starting.prepareBeforeListening(pending);
            return ex;
        }
    }

    private void failStartupIfFailFast(String problem, Exception ex) {
        if (this.recovery.failFast()) {
            this.dispatcher.shutdown(System.nanoTime());
            this.dispatcher = null;
            throw new BroadcasterStartException(problem, Redaction.exception(ex));
        }
    }

    @Override
    public void stop() {
        synchronized (this.lifecycleMonitor) {
            NotificationListener stopping = this.listener;
            if (stopping == null) {
                return;
            }
            long now = System.nanoTime();
            long deadline = now + this.settings.shutdownTimeout().toNanos();
            stopping.requestStop();
            if (this.healthWatch != null) {
                this.healthWatch.close();
                this.healthWatch = null;
            }
            if (this.retention != null) {
                this.retention.close();
                this.retention = null;
            }
            boolean listenerStopped = stopping.awaitStop(Math.min(deadline, now + LISTENER_STOP_GRACE.toNanos()));
            if (!listenerStopped) {
                // Stuck in a round trip on a dead connection, or blocked on a full queue: dropping the connection
                // frees the first at once and costs the second nothing it would not lose anyway.
                stopping.abort();
            }
            // Shutting the dispatcher down also releases a listener blocked on a full queue.
            long undelivered = this.dispatcher.shutdown(deadline);
            if (!listenerStopped && !stopping.awaitStop(System.nanoTime() + Duration.ofSeconds(1).toNanos())) {
                stopping.abort();
                stopping.awaitStop(System.nanoTime() + Duration.ofSeconds(1).toNanos());
            }
            undelivered += this.subscriptions.closeAll(deadline);
            this.listener = null;
            this.dispatcher = null;
            if (undelivered > 0) {
                logger.warn(undelivered + " notifications were still queued when pg.broadcaster.shutdown-timeout ("
                        + this.settings.shutdownTimeout() + ") ran out and were not delivered");
            }
            logger.info("pg-broadcaster stopped: " + this.statistics);
        }
    }

    @Override
    public boolean isRunning() {
        return this.listener != null;
    }

    @Override
    public int getPhase() {
        // Start after, and stop before, everything else, so listeners have the beans they need.
        return SmartLifecycle.DEFAULT_PHASE;
    }

    @Override
    public void destroy() {
        stop();
        this.subscriptions.closeAll(System.nanoTime());
    }

    /**
     * Thrown when the broadcaster cannot start listening.
     */
    public static final class BroadcasterStartException extends IllegalStateException {

        BroadcasterStartException(String message, Throwable cause) {
            super(message, cause);
        }

    }

}
