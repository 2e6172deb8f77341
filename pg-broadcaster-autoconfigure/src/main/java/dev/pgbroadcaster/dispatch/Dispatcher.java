package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterObserver.DropReason;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Takes decoded notifications, and the connection events in order with them, to the application: its event
 * listeners on the dispatch thread(s), then each programmatic subscriber through its own queue. Admission to the
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

    private final Subscriptions subscriptions;

    private final BroadcasterObserver observer;

    // Publishing a RawNotification beside every decoded event costs a listener lookup; skipped when nobody listens.
    private final boolean rawListened;

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final String overflowSettings;

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
        this.batch = (threads == 1 && policy == OverflowPolicy.BLOCK) ? MAX_BATCH : 1;
        this.lane = new Lane("pg-broadcaster-dispatch-", threads, this.batch, capacity, policy, this::droppedByPolicy);
        this.events = events;
        this.subscriptions = subscriptions;
        this.observer = observer;
        this.rawListened = events.hasListenersFor(new RawNotification("", "", 0));
        this.overflowSettings = "pg.broadcaster.dispatch.queue-capacity=" + capacity
                + ", pg.broadcaster.dispatch.overflow-policy=" + policy;
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
        if (!this.lane.admitUndroppable(() -> publishConnectionEvent(event))) {
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

    private void publishConnectionEvent(Object event) {
        try {
            this.events.publish(event);
        }
        catch (RuntimeException ex) {
            this.observer.listenerFailed();
            logger.error("Publishing " + event + " failed", ex);
        }
    }

    /**
     * Publishes one notification: its raw form when someone listens for it, then the decoded event, then hands a
     * {@link ChangeNotification} to the subscribers.
     */
    private final class Delivery implements Runnable {

        private final Notification notification;

        Delivery(Notification notification) {
            this.notification = notification;
        }

        @Override
        public void run() {
            Notification current = this.notification;
            Object decoded = current.decoded();
            try {
                if (decoded == null || Dispatcher.this.rawListened) {
                    Dispatcher.this.events.publish(current.raw());
                }
                if (decoded != null) {
                    Dispatcher.this.events.publish(decoded);
                }
                Dispatcher.this.observer.delivered(current.channel(), System.nanoTime() - current.receivedAt());
            }
            catch (RuntimeException ex) {
                Dispatcher.this.observer.listenerFailed();
                logger.error("Publishing " + ((decoded != null) ? decoded : current.raw()) + " failed", ex);
            }
            if (decoded instanceof ChangeNotification change) {
                Dispatcher.this.subscriptions.deliver(current.channel(), change);
            }
        }

    }

}
