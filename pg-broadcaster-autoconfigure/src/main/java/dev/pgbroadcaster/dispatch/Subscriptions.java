package dev.pgbroadcaster.dispatch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterObserver.DropReason;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.Subscription;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.StackExcerpt;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The programmatic subscribers, each with its own bounded queue and thread.
 */
public final class Subscriptions {

    private static final Log logger = LogFactory.getLog(Subscriptions.class);

    private final int queueCapacity;

    private final LaneThreads threads;

    private final OverflowPolicy overflowPolicy;

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, java.time.Duration.ofSeconds(10));

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    private final AtomicInteger sequence = new AtomicInteger();

    private volatile boolean closed;

    private final BroadcasterObserver observer;

    /**
     * @param queueCapacity how many notifications may wait for each subscriber
     * @param overflowPolicy what to do when a subscriber's queue is full
     * @param observer hears what happens to each notification
     */
    public Subscriptions(int queueCapacity, OverflowPolicy overflowPolicy, BroadcasterObserver observer) {
        this(queueCapacity, overflowPolicy, observer, LaneThreads.PLATFORM);
    }

    /**
     * @param queueCapacity how many notifications may wait for each subscriber
     * @param overflowPolicy what to do when a subscriber's queue is full
     * @param observer hears what happens to each notification
     * @param threads what kind of thread each subscriber gets
     */
    public Subscriptions(int queueCapacity, OverflowPolicy overflowPolicy, BroadcasterObserver observer,
            LaneThreads threads) {
        this.threads = threads;
        this.queueCapacity = queueCapacity;
        this.overflowPolicy = overflowPolicy;
        this.observer = observer;
    }

    /**
     * Adds a subscriber.
     * @throws IllegalArgumentException if {@code callback} is {@code null}
     * @throws IllegalStateException once the broadcaster has stopped
     */
    public Subscription add(Consumer<ChangeNotification> callback) {
        if (callback == null) {
            throw new IllegalArgumentException("The subscriber callback must not be null");
        }
        synchronized (this.subscribers) {
            if (this.closed) {
                throw new IllegalStateException("The broadcaster has stopped and takes no new subscribers");
            }
            Subscriber subscriber = new Subscriber(this.sequence.incrementAndGet(), callback);
            this.subscribers.add(subscriber);
            return subscriber;
        }
    }

    /**
     * Takes subscribers again, after {@link #closeAll} when the broadcaster starts again.
     */
    public void reopen() {
        this.closed = false;
    }

    /**
     * Queues {@code notification}, read on {@code channel}, for every subscriber.
     */
    void deliver(String channel, ChangeNotification notification, ApplicationEventDelivery.Recipients recipients) {
        for (Subscriber subscriber : this.subscribers) {
            recipients.handingTo(subscriber);
            subscriber.offer(channel, notification);
        }
    }

    /**
     * Describes, for an operator, the subscriber {@code subscription}: its callback, how long its queue has been full,
     * and where its thread is. Reads its thread's stack, so it is for rare occasions.
     */
    String describe(Object subscription) {
        return (subscription instanceof Subscriber subscriber) ? subscriber.describe() : String.valueOf(subscription);
    }

    /**
     * Ends every subscription, delivering what is queued until {@code deadline}.
     * @return how many queued notifications could not be delivered in time, each reported to the observer
     */
    public long closeAll(long deadline) {
        synchronized (this.subscribers) {
            this.closed = true;
        }
        // All stop taking notifications first, so one slow subscriber does not eat the others' time.
        List<Subscriber> closing = List.copyOf(this.subscribers);
        closing.forEach((subscriber) -> subscriber.lane.stopAccepting());
        long undelivered = 0;
        for (Subscriber subscriber : closing) {
            for (Runnable neverRan : subscriber.lane.shutdown(deadline)) {
                this.observer.dropped(((Subscriber.Delivery) neverRan).channel, DropReason.SHUTDOWN);
                undelivered++;
            }
            subscriber.close();
        }
        return undelivered;
    }

    private final class Subscriber implements Subscription {

        private final int id;

        private final Consumer<ChangeNotification> callback;

        private final Lane lane;

        // Held while the callback runs, so close() can promise that no callback starts after it returns.
        private final ReentrantLock delivery = new ReentrantLock();

        private volatile boolean active = true;

        Subscriber(int id, Consumer<ChangeNotification> callback) {
            this.id = id;
            this.callback = callback;
            this.lane = new Lane("pg-broadcaster-subscriber-" + id + "-", Subscriptions.this.threads, 1, 1,
                    Subscriptions.this.queueCapacity, Subscriptions.this.overflowPolicy, this::dropped);
        }

        void offer(String channel, ChangeNotification notification) {
            if (this.active && !this.lane.admit(List.of(new Delivery(channel, notification))).isEmpty() && this.active) {
                // Refused while the broadcaster shuts down, not because the subscriber left.
                Subscriptions.this.observer.dropped(channel, DropReason.SHUTDOWN);
            }
        }

        private void run(String channel, ChangeNotification notification) {
            this.delivery.lock();
            try {
                if (!this.active) {
                    return;
                }
                this.callback.accept(notification);
                Subscriptions.this.observer.subscriberDelivered(channel);
            }
            catch (RuntimeException | Error ex) {
                Subscriptions.this.observer.subscriberFailed(channel);
                logger.error("Subscriber " + this.id + " threw while handling " + notification
                        + "; it keeps receiving notifications", ex);
            }
            finally {
                this.delivery.unlock();
            }
        }

        String describe() {
            long since = this.lane.fullSince();
            String held = (since != BoundedQueue.NOT_FULL)
                    ? DurationText.rounded(java.time.Duration.ofNanos(Math.max(0, System.nanoTime() - since))) : null;
            StringBuilder text = new StringBuilder("subscriber ").append(this.id)
                .append(" (").append(this.callback.getClass().getName()).append("), ")
                .append((held != null) ? "full for " + held : "not full now");
            for (Lane.Running running : this.lane.running()) {
                text.append(": its callback has been running")
                    .append((held != null) ? " for at least " + held : "")
                    .append(" on ").append(running.thread().getName())
                    .append(" (").append(StackExcerpt.of(running.thread())).append(")");
            }
            return text.toString();
        }

        private void dropped(Runnable task) {
            Subscriptions.this.observer.dropped(((Delivery) task).channel, DropReason.SUBSCRIBER_QUEUE_FULL);
            Subscriptions.this.dropWarning.warn(() -> "Subscriber " + this.id + " is too slow: its queue of "
                    + Subscriptions.this.queueCapacity + " is full and a notification was dropped ("
                    + "pg.broadcaster.dispatch.overflow-policy=" + Subscriptions.this.overflowPolicy + ")", null);
        }

        private final class Delivery implements Runnable {

            private final String channel;

            private final ChangeNotification notification;

            Delivery(String channel, ChangeNotification notification) {
                this.channel = channel;
                this.notification = notification;
            }

            @Override
            public void run() {
                Subscriber.this.run(this.channel, this.notification);
            }

        }

        @Override
        public void close() {
            if (!this.active) {
                return;
            }
            this.active = false;
            Subscriptions.this.subscribers.remove(this);
            // Waits for a callback running on another thread; re-entrant when called from the callback itself.
            this.delivery.lock();
            this.delivery.unlock();
            this.lane.discard(!this.delivery.isHeldByCurrentThread());
        }

        @Override
        public boolean isActive() {
            return this.active;
        }

        @Override
        public String toString() {
            return "Subscription " + this.id + (this.active ? "" : " (closed)");
        }

    }

}
