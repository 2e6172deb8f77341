package dev.pgbroadcaster;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

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

    private static final Log logger = LogFactory.getLog(Broadcaster.class);

    /** How long stopping waits for the listener to UNLISTEN and close before dropping its connection. */
    private static final Duration LISTENER_STOP_GRACE = Duration.ofSeconds(1);

    /** Most notifications of a read queued as one task. */
    private static final int MAX_BATCH = 64;

    private final ListenerConnectionFactory connectionFactory;

    private final Settings settings;

    private final RecoverySettings recovery;

    private final BroadcasterStatistics statistics;

    private PayloadDecoder decoder = PayloadDecoder.changeNotifications();

    private BroadcasterObserver observer = BroadcasterObserver.NONE;

    private Preparation preparation;

    private final Subscriptions subscriptions;

    private final ChannelWarnings invalidWarnings;

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final Object lifecycleMonitor = new Object();

    private ApplicationContext applicationContext;

    private volatile ApplicationEventDelivery events;

    // Publishing a RawNotification beside every decoded event costs a listener lookup; skipped when nobody listens.
    private volatile boolean rawListened;

    private volatile BoundedExecutor dispatch;

    private volatile NotificationListener listener;

    /**
     * With the block policy and one dispatch thread, the notifications of a read are queued as one task, which
     * spares the executor's work per notification at both ends; room in the queue is still counted per
     * notification, here. {@code null} when each notification is a task of its own.
     */
    private volatile DispatchRoom dispatchRoom;

    /** Decoded by the listener thread, and used by it only, until {@link #queueDecoded()}. */
    private final List<Delivery> decodedAhead = new ArrayList<>();

    /** How many {@link #decodedAhead} may hold; listener thread only. */
    private int batchLimit;

    /** The batch the dispatch thread is running; there is one dispatch thread when notifications are batched. */
    private volatile Batch runningBatch;

    /**
     * What the broadcaster listens on and how it dispatches.
     * @param channels the channels to LISTEN on, at least one
     * @param dispatchThreads threads that publish events; 1 keeps the order in which notifications arrived
     * @param dispatchQueueCapacity notifications that may wait for a dispatch thread
     * @param overflowPolicy what to do when a queue is full
     * @param subscriberQueueCapacity notifications that may wait for each subscriber
     * @param shutdownTimeout how long closing may spend delivering what is queued
     */
    public record Settings(List<String> channels, int dispatchThreads, int dispatchQueueCapacity,
            OverflowPolicy overflowPolicy, int subscriberQueueCapacity, Duration shutdownTimeout) {

        public Settings {
            channels = List.copyOf(channels);
            if (channels.isEmpty()) {
                throw new IllegalArgumentException("At least one channel is needed");
            }
            channels.forEach(ChannelNames::quote);
            if (dispatchThreads < 1 || dispatchQueueCapacity < 1 || subscriberQueueCapacity < 1) {
                throw new IllegalArgumentException("Thread counts and queue capacities must be at least 1");
            }
            if (overflowPolicy == null || shutdownTimeout == null || shutdownTimeout.isNegative()) {
                throw new IllegalArgumentException("An overflow policy and a non-negative shutdown timeout are needed");
            }
        }

    }

    public PgBroadcaster(ListenerConnectionFactory connectionFactory, Settings settings, BroadcasterStatistics statistics) {
        this(connectionFactory, settings, RecoverySettings.defaults(), statistics);
    }

    /**
     * Creates a broadcaster that keeps its listener connection up as {@code recovery} says.
     */
    public PgBroadcaster(ListenerConnectionFactory connectionFactory, Settings settings, RecoverySettings recovery,
            BroadcasterStatistics statistics) {
        this.connectionFactory = connectionFactory;
        this.settings = settings;
        this.recovery = recovery;
        this.statistics = statistics;
        this.subscriptions = new Subscriptions(settings.subscriberQueueCapacity(), settings.overflowPolicy(), statistics);
        this.invalidWarnings = new ChannelWarnings(logger, Duration.ofSeconds(10), settings.channels());
    }

    /**
     * Sets what each channel's payloads are decoded to; by default every payload is a
     * {@link ChangeNotification}. Takes effect the next time the broadcaster starts.
     */
    public void setPayloadDecoder(PayloadDecoder decoder) {
        this.decoder = decoder;
    }

    /**
     * Sets who hears, per channel, what happens to each notification (metrics). Takes effect the next time the
     * broadcaster starts.
     */
    public void setObserver(BroadcasterObserver observer) {
        this.observer = (observer != null) ? observer : BroadcasterObserver.NONE;
        this.subscriptions.setObserver(this.observer);
    }

    /**
     * Sets database work to do before listening starts, such as installing triggers. Takes effect the next time
     * the broadcaster starts.
     */
    public void setPreparation(Preparation preparation) {
        this.preparation = preparation;
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
     * Returns how many notifications wait for a dispatch thread.
     */
    public int dispatchQueueSize() {
        BoundedExecutor current = this.dispatch;
        if (current == null) {
            return 0;
        }
        DispatchRoom room = this.dispatchRoom;
        return (room != null) ? room.queued() : current.queued();
    }

    @Override
    public void start() {
        synchronized (this.lifecycleMonitor) {
            if (this.listener != null) {
                return;
            }
            this.subscriptions.reopen();
            this.events = ApplicationEventDelivery.of(this.applicationContext, this.statistics);
            this.rawListened = this.events.hasListenersFor(new RawNotification("", "", 0));
            this.dispatch = new BoundedExecutor("pg-broadcaster-dispatch-", this.settings.dispatchThreads(),
                    this.settings.dispatchQueueCapacity(), this.settings.overflowPolicy(), this::dropped);
            boolean batched = this.settings.overflowPolicy() == OverflowPolicy.BLOCK
                    && this.settings.dispatchThreads() == 1;
            this.dispatchRoom = batched ? new DispatchRoom(this.settings.dispatchQueueCapacity()) : null;
            NotificationListener starting = new NotificationListener(this.connectionFactory, this.settings.channels(),
                    new ListenerHandler(), this.recovery, this.statistics);
            Exception failure = prepare(starting);
            if (failure == null) {
                try {
                    starting.connect();
                }
                catch (SQLException | RuntimeException ex) {
                    failure = ex;
                    String remedy = ConnectionFailures.remedy(ex);
                    String problem = "pg-broadcaster could not LISTEN on " + this.settings.channels() + " through "
                            + this.connectionFactory.description() + ": " + Redaction.message(ex) + ". "
                            + ((remedy != null) ? "This will not fix itself: " + remedy + ". " : "")
                            + "Check pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password, "
                            + "or the spring.datasource settings they default to.";
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
                }
            }
            if (failure != null) {
                starting.startupFailed(failure);
            }
            starting.startReading();
            this.listener = starting;
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
            this.dispatch.shutdown(System.nanoTime());
            this.dispatch = null;
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
            boolean listenerStopped = stopping.awaitStop(Math.min(deadline, now + LISTENER_STOP_GRACE.toNanos()));
            if (!listenerStopped) {
                // Stuck in a round trip on a dead connection, or blocked on a full queue: dropping the connection
                // frees the first at once and costs the second nothing it would not lose anyway.
                stopping.abort();
            }
            // Shutting the queue down also releases a listener blocked on a full queue.
            List<Delivery> unstarted = new ArrayList<>();
            List<Runnable> abandoned = this.dispatch.shutdown(deadline, () -> {
                Batch running = this.runningBatch;
                if (running != null) {
                    unstarted.addAll(running.claimRest());
                }
            });
            long undelivered = 0;
            for (Runnable task : abandoned) {
                if (task instanceof Batch batch) {
                    unstarted.addAll(batch.claimRest());
                }
                else {
                    if (task instanceof ChannelTask) {
                        this.observer.dropped(ChannelTask.channelOf(task), BroadcasterObserver.DropReason.SHUTDOWN);
                    }
                    undelivered++;
                }
            }
            droppedOnShutdown(unstarted);
            undelivered += unstarted.size();
            if (!listenerStopped && !stopping.awaitStop(System.nanoTime() + Duration.ofSeconds(1).toNanos())) {
                stopping.abort();
                stopping.awaitStop(System.nanoTime() + Duration.ofSeconds(1).toNanos());
            }
            undelivered += this.subscriptions.closeAll(deadline);
            this.listener = null;
            this.dispatch = null;
            if (undelivered > 0) {
                this.statistics.recordUndelivered(undelivered);
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

    private void received(String channel, String payload, int processId) {
        long receivedAt = System.nanoTime();
        this.statistics.recordReceived();
        this.observer.received(channel);
        Object decoded;
        try {
            decoded = this.decoder.decode(channel, payload);
        }
        catch (InvalidPayloadException ex) {
            this.statistics.recordInvalid();
            this.observer.invalid(channel);
            this.invalidWarnings.warn(channel, () -> "Dropped a notification on channel " + ChannelNames.quote(channel)
                    + " because " + ex.getMessage() + "; payload: " + excerpt(payload) + " ("
                    + this.statistics.invalid() + " invalid so far)", null);
            return;
        }
        RawNotification raw = new RawNotification(channel, (payload != null) ? payload : "", processId);
        Delivery delivery = new Delivery(this.events, raw, decoded, receivedAt);
        DispatchRoom room = this.dispatchRoom;
        if (room == null) {
            queue(delivery);
            return;
        }
        if (this.decodedAhead.isEmpty()) {
            // Never more in hand than fits: once the queue is full the listener waits with one notification, as it
            // does with a task per notification. The room only grows meanwhile, so reading it once per batch will do.
            this.batchLimit = Math.max(1, Math.min(MAX_BATCH, room.available()));
        }
        this.decodedAhead.add(delivery);
        if (this.decodedAhead.size() >= this.batchLimit) {
            queueDecoded();
        }
    }

    private void queue(Delivery delivery) {
        BoundedExecutor queue = this.dispatch;
        if (queue == null || !queue.submit(delivery)) {
            undelivered(List.of(delivery));
        }
    }

    /**
     * Queues what the listener thread has decoded as one task, once there is room for all of it.
     */
    private void queueDecoded() {
        if (this.decodedAhead.isEmpty()) {
            return;
        }
        List<Delivery> deliveries = List.copyOf(this.decodedAhead);
        this.decodedAhead.clear();
        BoundedExecutor queue = this.dispatch;
        DispatchRoom room = this.dispatchRoom;
        // The block policy: wait until they fit, unless the queue shuts down meanwhile.
        if (queue == null || room == null || !room.take(deliveries.size(), queue::accepting)) {
            undelivered(deliveries);
            return;
        }
        if (!queue.submit(new Batch(deliveries, room))) {
            room.release(deliveries.size());
            undelivered(deliveries);
        }
    }

    private void undelivered(List<Delivery> deliveries) {
        this.statistics.recordUndelivered(deliveries.size());
        droppedOnShutdown(deliveries);
    }

    private void droppedOnShutdown(List<Delivery> deliveries) {
        for (Delivery delivery : deliveries) {
            this.observer.dropped(delivery.channel(), BroadcasterObserver.DropReason.SHUTDOWN);
        }
    }

    private void dropped(Runnable task) {
        this.statistics.recordDropped();
        this.observer.dropped(ChannelTask.channelOf(task), BroadcasterObserver.DropReason.DISPATCH_QUEUE_FULL);
        this.dropWarning.warn(() -> "The dispatch queue is full (pg.broadcaster.dispatch.queue-capacity="
                + this.settings.dispatchQueueCapacity() + ", pg.broadcaster.dispatch.overflow-policy="
                + this.settings.overflowPolicy() + "): " + this.statistics.dropped()
                + " notifications dropped so far", null);
    }

    private static String excerpt(String payload) {
        if (payload == null) {
            return "null";
        }
        String singleLine = payload.replaceAll("\\p{Cntrl}", "?");
        return singleLine.length() <= 120 ? "'" + singleLine + "'"
                : "'" + singleLine.substring(0, 120) + "...' (" + payload.length() + " characters)";
    }

    private void connectionEvent(Object event) {
        BoundedExecutor queue = this.dispatch;
        ApplicationEventDelivery delivery = this.events;
        // Through the dispatch queue, so listeners see it in order with the notifications; never dropped.
        if (queue == null || !queue.submitUndroppable(() -> publishConnectionEvent(delivery, event))) {
            logger.debug("Not published because the broadcaster is stopping: " + event);
        }
    }

    private void publishConnectionEvent(ApplicationEventDelivery delivery, Object event) {
        try {
            delivery.publish(event);
        }
        catch (RuntimeException ex) {
            this.statistics.recordListenerError();
            logger.error("Publishing " + event + " failed", ex);
        }
    }

    /**
     * Publishes one notification: its raw form when someone listens for it, then the decoded event, then hands a
     * {@link ChangeNotification} to the subscribers.
     */
    private final class Delivery implements ChannelTask {

        private final ApplicationEventDelivery events;

        private final RawNotification raw;

        private final Object decoded;

        private final long receivedAt;

        Delivery(ApplicationEventDelivery events, RawNotification raw, Object decoded, long receivedAt) {
            this.events = events;
            this.raw = raw;
            this.decoded = decoded;
            this.receivedAt = receivedAt;
        }

        @Override
        public String channel() {
            return this.raw.channel();
        }

        @Override
        public void run() {
            try {
                if (this.decoded == null || PgBroadcaster.this.rawListened) {
                    this.events.publish(this.raw);
                }
                if (this.decoded != null) {
                    this.events.publish(this.decoded);
                }
                PgBroadcaster.this.statistics.recordPublished();
                PgBroadcaster.this.observer.delivered(channel(), System.nanoTime() - this.receivedAt);
            }
            catch (RuntimeException ex) {
                PgBroadcaster.this.statistics.recordListenerError();
                logger.error("Publishing " + ((this.decoded != null) ? this.decoded : this.raw) + " failed", ex);
            }
            if (this.decoded instanceof ChangeNotification change) {
                PgBroadcaster.this.subscriptions.deliver(channel(), change);
            }
        }

    }

    /**
     * The notifications of one read, queued as one task. Each is claimed once: by the dispatch thread, which gives
     * its room in the queue back as it starts it, or by closing, which counts those nobody started when its time
     * has run out.
     */
    private final class Batch implements Runnable {

        private final List<Delivery> deliveries;

        private final DispatchRoom room;

        private final AtomicInteger next = new AtomicInteger();

        Batch(List<Delivery> deliveries, DispatchRoom room) {
            this.deliveries = deliveries;
            this.room = room;
        }

        @Override
        public void run() {
            PgBroadcaster.this.runningBatch = this;
            try {
                int index;
                while ((index = this.next.getAndIncrement()) < this.deliveries.size()) {
                    this.room.release(1);
                    this.deliveries.get(index).run();
                }
            }
            finally {
                PgBroadcaster.this.runningBatch = null;
            }
        }

        /**
         * Claims the deliveries that have not started, so that they never will.
         */
        List<Delivery> claimRest() {
            int from = this.next.getAndSet(this.deliveries.size());
            return (from < this.deliveries.size()) ? this.deliveries.subList(from, this.deliveries.size()) : List.of();
        }

    }

    /**
     * What the listener thread hands over.
     */
    private final class ListenerHandler implements NotificationListener.Handler {

        @Override
        public void handle(String channel, String payload, int processId) {
            received(channel, payload, processId);
        }

        @Override
        public void endOfRead() {
            queueDecoded();
        }

        @Override
        public void connected(BroadcasterConnectedEvent event) {
            connectionEvent(event);
        }

        @Override
        public void disconnected(BroadcasterDisconnectedEvent event) {
            connectionEvent(event);
        }

    }

    /**
     * Database work the broadcaster does once before it listens, such as installing the triggers that notify it.
     * It is done when the broadcaster starts; when the database cannot be reached then, the application starts
     * anyway and the listener does it before it announces its first connection, so a
     * {@link BroadcasterConnectedEvent} always comes after it.
     */
    public interface Preparation {

        /**
         * Says what it does, to complete "could not ..." in log lines, for example "install the triggers of
         * pg.broadcaster.triggers.tables".
         */
        String description();

        /**
         * Does the work.
         * @throws SQLException only when the database cannot be reached: the work is tried again later
         * @throws RuntimeException when it cannot succeed: at start, startup fails with it
         */
        void prepare() throws SQLException;

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
