package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The programmatic subscribers, each with its own bounded queue and thread.
 */
final class Subscriptions {

    private static final Log logger = LogFactory.getLog(Broadcaster.class);

    private final int queueCapacity;

    private final OverflowPolicy overflowPolicy;

    private final BroadcasterStatistics statistics;

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, java.time.Duration.ofSeconds(10));

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    private final AtomicInteger sequence = new AtomicInteger();

    private volatile boolean closed;

    private volatile BroadcasterObserver observer = BroadcasterObserver.NONE;

    Subscriptions(int queueCapacity, OverflowPolicy overflowPolicy, BroadcasterStatistics statistics) {
        this.queueCapacity = queueCapacity;
        this.overflowPolicy = overflowPolicy;
        this.statistics = statistics;
    }

    Subscription add(Consumer<ChangeNotification> callback) {
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

    void reopen() {
        this.closed = false;
    }

    void setObserver(BroadcasterObserver observer) {
        this.observer = observer;
    }

    /**
     * Queues {@code notification}, read on {@code channel}, for every subscriber.
     */
    void deliver(String channel, ChangeNotification notification) {
        for (Subscriber subscriber : this.subscribers) {
            subscriber.offer(channel, notification);
        }
    }

    /**
     * Ends every subscription, delivering what is queued until {@code deadline}.
     * @return how many queued notifications could not be delivered in time
     */
    long closeAll(long deadline) {
        synchronized (this.subscribers) {
            this.closed = true;
        }
        // All stop taking notifications first, so one slow subscriber does not eat the others' time.
        List<Subscriber> closing = List.copyOf(this.subscribers);
        closing.forEach((subscriber) -> subscriber.executor.stopAccepting());
        long undelivered = 0;
        for (Subscriber subscriber : closing) {
            List<Runnable> abandoned = subscriber.executor.awaitShutdown(deadline);
            abandoned.forEach((task) -> this.observer.dropped(ChannelTask.channelOf(task), BroadcasterObserver.DropReason.SHUTDOWN));
            undelivered += abandoned.size();
            subscriber.close();
        }
        return undelivered;
    }

    int size() {
        return this.subscribers.size();
    }

    private final class Subscriber implements Subscription {

        private final int id;

        private final Consumer<ChangeNotification> callback;

        private final BoundedExecutor executor;

        // Held while the callback runs, so close() can promise that no callback starts after it returns.
        private final ReentrantLock delivery = new ReentrantLock();

        private volatile boolean active = true;

        Subscriber(int id, Consumer<ChangeNotification> callback) {
            this.id = id;
            this.callback = callback;
            this.executor = new BoundedExecutor("pg-broadcaster-subscriber-" + id + "-", 1,
                    Subscriptions.this.queueCapacity, Subscriptions.this.overflowPolicy, this::dropped);
        }

        void offer(String channel, ChangeNotification notification) {
            if (this.active && !this.executor.submit(new Delivery(channel, notification)) && this.active) {
                // Refused while the broadcaster shuts down, not because the subscriber left.
                Subscriptions.this.statistics.recordUndelivered(1);
                Subscriptions.this.observer.dropped(channel, BroadcasterObserver.DropReason.SHUTDOWN);
            }
        }

        private void run(ChangeNotification notification) {
            this.delivery.lock();
            try {
                if (!this.active) {
                    return;
                }
                this.callback.accept(notification);
                Subscriptions.this.statistics.recordSubscriberDelivered();
            }
            catch (RuntimeException | Error ex) {
                Subscriptions.this.statistics.recordSubscriberError();
                logger.error("Subscriber " + this.id + " threw while handling " + notification
                        + "; it keeps receiving notifications", ex);
            }
            finally {
                this.delivery.unlock();
            }
        }

        private void dropped(Runnable task) {
            Subscriptions.this.statistics.recordSubscriberDropped();
            Subscriptions.this.observer.dropped(ChannelTask.channelOf(task), BroadcasterObserver.DropReason.SUBSCRIBER_QUEUE_FULL);
            Subscriptions.this.dropWarning.warn(() -> "Subscriber " + this.id + " is too slow: its queue of "
                    + Subscriptions.this.queueCapacity + " is full and a notification was dropped ("
                    + "pg.broadcaster.dispatch.overflow-policy=" + Subscriptions.this.overflowPolicy + "); "
                    + Subscriptions.this.statistics.subscriberDropped() + " dropped for subscribers so far", null);
        }

        private final class Delivery implements ChannelTask {

            private final String channel;

            private final ChangeNotification notification;

            Delivery(String channel, ChangeNotification notification) {
                this.channel = channel;
                this.notification = notification;
            }

            @Override
            public String channel() {
                return this.channel;
            }

            @Override
            public void run() {
                Subscriber.this.run(this.notification);
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
            this.executor.discard(!this.delivery.isHeldByCurrentThread());
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
