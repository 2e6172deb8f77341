package dev.pgbroadcaster.reactive;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.dispatch.Notification;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;

/**
 * One subscriber of a reactive stream: the dispatch thread offers it each notification its selector takes, into a
 * bounded buffer that the overflow policy governs when it is full, and its own worker hands the subscriber as many as
 * it requested. The subscriber never runs on the dispatch thread; with {@code block} the dispatch thread waits for
 * room, which the subscriber makes by requesting, cancelling or the stream's completion.
 *
 * @param <T> what the subscriber receives
 */
final class BufferedSubscription<T> implements Subscription, Runnable {

    private static final Log logger = LogFactory.getLog(BufferedSubscription.class);

    private final int number;

    private final String description;

    private final Subscriber<? super T> subscriber;

    private final Function<Notification, ? extends T> selector;

    private final int capacity;

    private final OverflowPolicy policy;

    private final Scheduler.Worker worker;

    private final Owner owner;

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition room = this.lock.newCondition();

    // Guarded by lock.
    private final ArrayDeque<Entry<T>> buffer;

    private final AtomicLong requested = new AtomicLong();

    /** Work in progress: the drain runs on the worker once per increment from zero, and again for what came meanwhile. */
    private final AtomicInteger wip = new AtomicInteger();

    private volatile boolean cancelled;

    private volatile boolean completing;

    private final AtomicBoolean endedWithoutWorker = new AtomicBoolean();

    /** Written and read by the drain only. */
    private boolean terminated;

    BufferedSubscription(int number, String description, Subscriber<? super T> subscriber,
            Function<Notification, ? extends T> selector, int capacity, OverflowPolicy policy, Scheduler.Worker worker,
            Owner owner) {
        this.number = number;
        this.description = description;
        this.subscriber = subscriber;
        this.selector = selector;
        this.capacity = capacity;
        this.policy = policy;
        this.worker = worker;
        this.owner = owner;
        this.buffer = new ArrayDeque<>(Math.min(capacity, 64));
    }

    /**
     * Buffers {@code notification} if the selector takes it; when the buffer is full, drops one or waits for room
     * as the policy says. Called on a dispatch thread.
     */
    void offer(Notification notification) {
        T value = this.selector.apply(notification);
        if (value == null || this.cancelled || this.completing) {
            return;
        }
        String droppedChannel = null;
        this.lock.lock();
        try {
            while (this.buffer.size() >= this.capacity && !this.cancelled && !this.completing) {
                if (this.policy == OverflowPolicy.DROP_NEWEST) {
                    droppedChannel = notification.channel();
                    break;
                }
                if (this.policy == OverflowPolicy.DROP_OLDEST) {
                    droppedChannel = this.buffer.pollFirst().channel();
                    break;
                }
                try {
                    this.room.await();
                }
                catch (InterruptedException ex) {
                    // The broadcaster's shutdown ran out of time and interrupts the dispatch thread.
                    Thread.currentThread().interrupt();
                    this.owner.undelivered(List.of(notification.channel()));
                    return;
                }
            }
            if (this.cancelled || this.completing) {
                return;
            }
            if (this.policy != OverflowPolicy.DROP_NEWEST || droppedChannel == null) {
                this.buffer.addLast(new Entry<>(notification.channel(), value));
            }
        }
        finally {
            this.lock.unlock();
        }
        if (droppedChannel != null) {
            this.owner.dropped(this, droppedChannel);
        }
        schedule();
    }

    @Override
    public void request(long n) {
        if (Operators.validate(n)) {
            this.requested.getAndAccumulate(n, Operators::addCap);
            schedule();
        }
    }

    /**
     * Frees the buffer and any dispatch thread waiting for room in it at once; the subscriber gets nothing more.
     */
    @Override
    public void cancel() {
        if (this.cancelled) {
            return;
        }
        this.cancelled = true;
        this.lock.lock();
        try {
            this.buffer.clear();
            this.room.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        this.owner.ended(this);
        // The drain lets the worker go, on its own thread, so that a subscriber cancelling from elsewhere while it
        // runs is not interrupted.
        schedule();
    }

    /**
     * Completes the stream: the subscriber gets what is buffered as far as it has requested, then the completion;
     * what is buffered beyond that is counted as undelivered.
     */
    void complete() {
        this.completing = true;
        this.lock.lock();
        try {
            this.room.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        schedule();
    }

    private void schedule() {
        if (this.wip.getAndIncrement() == 0) {
            try {
                this.worker.schedule(this);
            }
            catch (RejectedExecutionException ex) {
                // The stream's threads are gone (the application has closed): no drain will run, so it ends here.
                endWithoutWorker();
            }
        }
    }

    /**
     * The drain, on the worker: hands the subscriber what it requested, and the completion.
     */
    @Override
    public void run() {
        int missed = 1;
        do {
            if (this.terminated) {
                return;
            }
            if (this.cancelled) {
                this.terminated = true;
                discard();
                return;
            }
            long wanted = this.requested.get();
            long emitted = 0;
            while (emitted != wanted && !this.cancelled) {
                Entry<T> entry = poll();
                if (entry == null) {
                    break;
                }
                try {
                    this.subscriber.onNext(entry.value());
                }
                catch (RuntimeException ex) {
                    // Rule 2.13: a subscriber must not throw; it is cancelled and told.
                    logger.debug(this + " threw from onNext; it is cancelled", ex);
                    cancel();
                    this.subscriber.onError(ex);
                    break;
                }
                emitted++;
            }
            if (emitted > 0 && wanted != Long.MAX_VALUE) {
                wanted = this.requested.addAndGet(-emitted);
            }
            if (this.completing && !this.cancelled) {
                int left = buffered();
                if (left == 0 || wanted == 0) {
                    if (left > 0) {
                        this.owner.undelivered(drainBuffer());
                    }
                    this.terminated = true;
                    this.owner.ended(this);
                    this.worker.dispose();
                    this.subscriber.onComplete();
                    return;
                }
            }
            missed = this.wip.addAndGet(-missed);
        }
        while (missed != 0);
    }

    private Entry<T> poll() {
        this.lock.lock();
        try {
            Entry<T> entry = this.buffer.pollFirst();
            if (entry != null) {
                this.room.signal();
            }
            return entry;
        }
        finally {
            this.lock.unlock();
        }
    }

    private int buffered() {
        this.lock.lock();
        try {
            return this.buffer.size();
        }
        finally {
            this.lock.unlock();
        }
    }

    private List<String> drainBuffer() {
        this.lock.lock();
        try {
            List<String> channels = new ArrayList<>(this.buffer.size());
            for (Entry<T> entry : this.buffer) {
                channels.add(entry.channel());
            }
            this.buffer.clear();
            this.room.signalAll();
            return channels;
        }
        finally {
            this.lock.unlock();
        }
    }

    private void discard() {
        this.lock.lock();
        try {
            this.buffer.clear();
            this.room.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        this.owner.ended(this);
        this.worker.dispose();
    }

    private void endWithoutWorker() {
        if (!this.endedWithoutWorker.compareAndSet(false, true)) {
            return;
        }
        List<String> left = drainBuffer();
        if (!left.isEmpty()) {
            this.owner.undelivered(left);
        }
        this.owner.ended(this);
        if (!this.cancelled) {
            this.subscriber.onComplete();
        }
    }

    int capacity() {
        return this.capacity;
    }

    @Override
    public String toString() {
        return "Reactive subscriber " + this.number + " (" + this.description + ")";
    }

    /**
     * A notification in the buffer, with the channel it came on, for counting it if it is dropped.
     */
    private record Entry<T>(String channel, T value) {

    }

    /**
     * What the subscription tells the stream it belongs to.
     */
    interface Owner {

        /**
         * The policy dropped a notification on {@code channel} for {@code subscription}, whose buffer was full.
         */
        void dropped(BufferedSubscription<?> subscription, String channel);

        /**
         * Notifications on these channels were not delivered to the subscriber: buffered beyond what it had requested
         * when the stream completed, or offered while the dispatch thread, waiting for room, was interrupted.
         */
        void undelivered(List<String> channels);

        /**
         * The subscription was cancelled or completed; it takes nothing more. Called at least once.
         */
        void ended(BufferedSubscription<?> subscription);

    }

}
