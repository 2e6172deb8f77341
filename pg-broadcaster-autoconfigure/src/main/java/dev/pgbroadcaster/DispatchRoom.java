package dev.pgbroadcaster;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Room in the dispatch queue, counted per notification while notifications are queued in batches. One thread,
 * the listener thread, takes room; dispatch threads give it back one notification at a time.
 * <p>
 * When the queue is full the listener waits until a good part of it has drained rather than until one place is
 * free, so that a full queue does not cost a wake-up of the listener for every notification delivered.
 */
final class DispatchRoom {

    private static final int MAX_REFILL = 64;

    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final int capacity;

    private final AtomicInteger queued = new AtomicInteger();

    private volatile Thread waiter;

    private volatile int wanted;

    DispatchRoom(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Returns how many notifications are queued.
     */
    int queued() {
        return this.queued.get();
    }

    /**
     * Returns how many more notifications fit.
     */
    int available() {
        return this.capacity - this.queued.get();
    }

    /**
     * Takes room for {@code count} notifications (at most the capacity), waiting for it while
     * {@code accepting} says the queue still takes them.
     * @return whether the room was taken
     */
    boolean take(int count, BooleanSupplier accepting) {
        if (available() < count) {
            int enough = Math.max(count, Math.min(MAX_REFILL, this.capacity / 2));
            this.wanted = enough;
            this.waiter = Thread.currentThread();
            try {
                while (available() < enough) {
                    if (!accepting.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                        return false;
                    }
                    LockSupport.parkNanos(this, RECHECK_NANOS);
                }
            }
            finally {
                this.waiter = null;
            }
        }
        // Only this thread adds, so the room seen above is still there.
        this.queued.addAndGet(count);
        return true;
    }

    /**
     * Gives back the room of {@code count} notifications that left the queue.
     */
    void release(int count) {
        int nowQueued = this.queued.addAndGet(-count);
        Thread waiting = this.waiter;
        if (waiting != null && this.capacity - nowQueued >= this.wanted) {
            LockSupport.unpark(waiting);
        }
    }

}
