package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterObserver.DropReason;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.Subscription;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.StackExcerpt;
import dev.pgbroadcaster.support.ThrottledWarning;
import io.micrometer.observation.Observation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Takes decoded notifications, and the connection events in order with them, to the application: its event
 * listeners on the dispatch thread(s), then each programmatic subscriber through its own queue, then the sinks (a
 * stream to browsers), which only enqueue. Admission to the
 * dispatch queue follows the overflow policy; connection events are never dropped. On shutdown it delivers what is
 * queued until a deadline and counts, per channel, what it could not.
 * <p>
 * With one dispatch thread, the order in which notifications arrived is kept, and with {@code block} the thread
 * takes what has queued up in batches, which spares a hand-over per notification when they arrive flat out. With
 * more threads each takes one notification at a time.
 */
public final class Dispatcher {

    private static final Log logger = LogFactory.getLog(Dispatcher.class);

    /** Most notifications a single dispatch thread takes at a time with {@code block}. */
    static final int MAX_BATCH = 64;

    private final Lane lane;

    private final int batch;

    private final ApplicationEventDelivery events;

    private final DeliveryObservations observations;

    private final Subscriptions subscriptions;

    private final BroadcasterObserver observer;

    // Publishing a RawNotification beside every decoded event costs a listener lookup; skipped when nobody listens.
    private final boolean rawListened;

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final String overflowSettings;

    private final OverflowPolicy policy;

    private final Sinks sinks;

    /**
     * Starts the dispatch threads.
     * @param threads how many threads publish events; one keeps the order of arrival
     * @param capacity how many notifications may wait for a dispatch thread
     * @param policy what to do when that many are waiting
     * @param events the application's event listeners
     * @param subscriptions the programmatic subscribers
     * @param observer hears what happens to each notification
     */
    public Dispatcher(int threads, int capacity, OverflowPolicy policy, ApplicationEventDelivery events,
            Subscriptions subscriptions, BroadcasterObserver observer) {
        this(threads, LaneThreads.PLATFORM, capacity, policy, events, subscriptions, observer);
    }

    /**
     * Starts the dispatch threads, of the given kind.
     * @param threads how many threads publish events; one keeps the order of arrival
     * @param kind platform or virtual threads
     * @param capacity how many notifications may wait for a dispatch thread
     * @param policy what to do when that many are waiting
     * @param events the application's event listeners
     * @param subscriptions the programmatic subscribers
     * @param observer hears what happens to each notification
     */
    public Dispatcher(int threads, LaneThreads kind, int capacity, OverflowPolicy policy, ApplicationEventDelivery events,
            Subscriptions subscriptions, BroadcasterObserver observer) {
        this(threads, kind, capacity, policy, events, subscriptions, observer, Sinks.NONE);
    }

    /**
     * Starts the dispatch threads, of the given kind, handing each delivery to {@code sinks} last.
     * @param threads how many threads publish events; one keeps the order of arrival
     * @param kind platform or virtual threads
     * @param capacity how many notifications may wait for a dispatch thread
     * @param policy what to do when that many are waiting
     * @param events the application's event listeners
     * @param subscriptions the programmatic subscribers
     * @param observer hears what happens to each notification
     * @param sinks take each delivered notification and connection event after the listeners and subscribers
     */
    public Dispatcher(int threads, LaneThreads kind, int capacity, OverflowPolicy policy, ApplicationEventDelivery events,
            Subscriptions subscriptions, BroadcasterObserver observer, Sinks sinks) {
        this.sinks = sinks;
        this.batch = (threads == 1 && policy == OverflowPolicy.BLOCK) ? MAX_BATCH : 1;
        this.lane = new Lane("pg-broadcaster-dispatch-", kind, threads, this.batch, capacity, policy,
                this::droppedByPolicy);
        this.events = events;
        this.observations = events.observations();
        this.subscriptions = subscriptions;
        this.observer = observer;
        this.rawListened = events.hasListenersFor(new RawNotification("", "", 0));
        this.overflowSettings = "pg.broadcaster.dispatch.queue-capacity=" + capacity
                + ", pg.broadcaster.dispatch.overflow-policy=" + policy;
        this.policy = policy;
    }

    /**
     * Returns how many notifications to hand over at a time: with one thread and {@code block}, as many as fit now
     * (at least one, at most {@value #MAX_BATCH}), so that the listener never decodes far ahead of a full queue;
     * otherwise one at a time, so that the overflow policy sees them as they arrive.
     */
    public int handOverLimit() {
        return (this.batch == 1) ? 1 : Math.max(1, Math.min(this.batch, this.lane.room()));
    }

    /**
     * Queues notifications, as the overflow policy allows; with {@code block} this waits for room.
     */
    public void dispatch(List<Notification> notifications) {
        List<Runnable> deliveries = new ArrayList<>(notifications.size());
        for (Notification notification : notifications) {
            deliveries.add(new Delivery(notification));
        }
        for (Runnable refused : this.lane.admit(deliveries)) {
            undelivered(refused);
        }
    }

    /**
     * Queues a connection event in order with the notifications; it is never dropped.
     */
    public void dispatchConnectionEvent(Object event) {
        if (!this.lane.admitUndroppable(new ConnectionEventDelivery(event))) {
            logger.debug("Not published because the broadcaster is stopping: " + event);
        }
    }

    /**
     * Returns how many notifications wait for a dispatch thread.
     */
    public int queued() {
        return this.lane.queued();
    }

    /**
     * Returns how long the dispatch queue has been full with no notification started since, or {@code null} when it
     * is not: every dispatch thread has been busy with one delivery for at least that long.
     */
    public Duration queueFullFor() {
        long since = this.lane.fullSince();
        return (since != BoundedQueue.NOT_FULL) ? Duration.ofNanos(Math.max(0, System.nanoTime() - since)) : null;
    }

    /**
     * Describes, for an operator, a dispatch queue full for {@code fullFor} with nothing started meanwhile: which
     * listener (or subscriber) each dispatch thread is in, where that thread is, and what follows for the policy.
     * Reads the threads' stacks, so it is for rare occasions.
     */
    public String describeStall(Duration fullFor) {
        String held = DurationText.rounded(fullFor);
        List<String> running = new ArrayList<>();
        for (Lane.Running each : this.lane.running()) {
            running.add(describe(each, held));
        }
        return "the dispatch queue (" + this.overflowSettings + ") has been full for " + held
                + " with no notification started meanwhile: "
                + (running.isEmpty() ? "no dispatch thread is running a delivery" : String.join("; ", running))
                + ((this.policy == OverflowPolicy.BLOCK)
                        ? ". The listener waits for room and reads nothing meanwhile, so the server's notification "
                                + "queue grows for every session of the server, and once it is full every NOTIFY fails "
                                + "at commit"
                        : ". Every notification that arrives meanwhile is dropped and counted in dropped");
    }

    private String describe(Lane.Running running, String held) {
        Thread thread = running.thread();
        if (!(running.item() instanceof Handing handing) || handing.recipient == null) {
            return thread.getName() + " is between listeners (" + StackExcerpt.of(thread) + ")";
        }
        Object recipient = handing.recipient;
        if (recipient instanceof Sinks) {
            // Only the reactive stream's buffers ever wait, with block, for a subscriber to request more.
            return thread.getName() + " waits with " + handing.event() + " for room in a reactive subscriber's buffer, "
                    + "which it has not requested enough to empty (" + StackExcerpt.of(thread) + ")";
        }
        if (recipient instanceof Subscription) {
            return thread.getName() + " waits with " + handing.event() + " for room in the queue of "
                    + this.subscriptions.describe(recipient);
        }
        return ApplicationEventDelivery.describe(recipient) + " has been running for at least " + held + " on "
                + thread.getName() + " with " + handing.event() + " (" + StackExcerpt.of(thread) + ")";
    }

    /**
     * Stops taking notifications and delivers those queued until {@code deadline}.
     * @return how many notifications were left undelivered, each reported to the observer
     */
    public long shutdown(long deadline) {
        long undelivered = 0;
        for (Runnable neverRan : this.lane.shutdown(deadline)) {
            if (undelivered(neverRan)) {
                undelivered++;
            }
        }
        return undelivered;
    }

    private boolean undelivered(Runnable task) {
        if (task instanceof Delivery delivery) {
            this.observer.dropped(delivery.notification.channel(), DropReason.SHUTDOWN);
            return true;
        }
        return false;
    }

    private void droppedByPolicy(Runnable task) {
        if (task instanceof Delivery delivery) {
            this.observer.dropped(delivery.notification.channel(), DropReason.DISPATCH_QUEUE_FULL);
            this.dropWarning.warn(() -> "The dispatch queue is full (" + this.overflowSettings
                    + "): notifications are being dropped", null);
        }
    }

    /**
     * A task of the dispatch queue that knows whom it is handing its event to, so that one that does not return can
     * be named.
     */
    private abstract static class Handing implements Runnable, ApplicationEventDelivery.Recipients {

        // Written by the dispatch thread alone, read by describeStall: only once nothing has moved for a while, so
        // an ordinary field is enough, and costs the delivery of each notification nothing.
        private Object recipient;

        @Override
        public void handingTo(Object recipient) {
            this.recipient = recipient;
        }

        /**
         * Names what it delivers, without its content.
         */
        abstract String event();

    }

    /**
     * Publishes a connection event.
     */
    private final class ConnectionEventDelivery extends Handing {

        private final Object event;

        ConnectionEventDelivery(Object event) {
            this.event = event;
        }

        @Override
        public void run() {
            try {
                Dispatcher.this.events.publish(this.event, this);
            }
            catch (RuntimeException ex) {
                Dispatcher.this.observer.listenerFailed();
                logger.error("Publishing " + this.event + " failed", ex);
            }
            if (!Dispatcher.this.sinks.isEmpty()) {
                Dispatcher.this.sinks.connectionEvent(this.event);
            }
        }

        @Override
        String event() {
            return "a " + this.event.getClass().getSimpleName();
        }

    }

    /**
     * Publishes one notification: its raw form when someone listens for it, then the decoded event, then hands a
     * {@link ChangeNotification} to the subscribers.
     */
    private final class Delivery extends Handing {

        private final Notification notification;

        Delivery(Notification notification) {
            this.notification = notification;
        }

        @Override
        String event() {
            Object decoded = this.notification.decoded();
            return "a " + ((decoded != null) ? decoded : this.notification.raw()).getClass().getSimpleName()
                    + " on channel " + Identifiers.quote(this.notification.channel());
        }

        @Override
        public void run() {
            Notification current = this.notification;
            Object decoded = current.decoded();
            Observation observation = Dispatcher.this.observations.start(current);
            boolean succeeded = true;
            try (Observation.Scope scope = observation.openScope()) {
                if (decoded == null || Dispatcher.this.rawListened) {
                    succeeded &= Dispatcher.this.events.publish(current.raw(), this);
                }
                if (decoded != null) {
                    succeeded &= Dispatcher.this.events.publish(decoded, this);
                }
                Dispatcher.this.observer.delivered(current.channel(), System.nanoTime() - current.receivedAt());
            }
            catch (RuntimeException ex) {
                succeeded = false;
                observation.error(ex);
                Dispatcher.this.observer.listenerFailed();
                logger.error("Publishing " + ((decoded != null) ? decoded : current.raw()) + " failed", ex);
            }
            finally {
                DeliveryObservations.stop(observation, succeeded);
            }
            if (decoded instanceof ChangeNotification change) {
                Dispatcher.this.subscriptions.deliver(current.channel(), change, this);
            }
            if (!Dispatcher.this.sinks.isEmpty()) {
                handingTo(Dispatcher.this.sinks);
                Dispatcher.this.sinks.delivered(current);
            }
        }

    }

}
