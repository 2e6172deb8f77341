package dev.pgbroadcaster.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import dev.pgbroadcaster.OverflowPolicy;

/**
 * The one bounded queue of pg-broadcaster, behind the dispatch queue and every subscriber's queue: it holds up
 * to its capacity of items that may be dropped, and applies an {@link OverflowPolicy} when more arrive. Items
 * that must never be dropped (connection events) are queued in order with the others but do not count against
 * the capacity, so they never wait and never push a notification out.
 * <p>
 * A producer that waits for room ({@code block}) waits until a good part of the queue has drained rather than
 * until one place is free, so that a full queue does not cost a wake-up for every item taken.
 * <p>
 * An item's place is given back when it is taken, or, for a consumer that takes several at a time and wants them to
 * count until each starts, when the consumer {@linkplain #release(int) releases} it.
 *
 * @param <T> the items
 */
final class BoundedQueue<T> {

    /** Most places a waiting producer asks to be free before it resumes. */
    static final int MAX_REFILL = 64;

    private final int capacity;

    private final OverflowPolicy policy;

    private final Consumer<T> onDrop;

    private final boolean releaseOnTake;

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition notEmpty = this.lock.newCondition();

    private final Condition roomFreed = this.lock.newCondition();

    private final ArrayDeque<Entry<T>> entries = new ArrayDeque<>();

    /** Droppable items queued: what counts against the capacity. */
    // Changed under the lock but for releases, which need not take it (consumers release each item as it starts):
    // a producer counts itself as waiting before it looks at the room, and a release looks for waiting producers
    // after it changed the room, so between them one always sees the other.
    private final AtomicInteger counted = new AtomicInteger();

    /** Producers waiting for room; changed under the lock. */
    private volatile int waiting;

    /** The fewest free places one of the waiting producers wants. */
    private volatile int wanted = Integer.MAX_VALUE;

    /**
     * Since when ({@link System#nanoTime()}) a producer has found no room and no place has been given back, or
     * {@link #NOT_FULL}: how long the consumers have started nothing while the queue was full.
     */
    private volatile long fullSince = NOT_FULL;

    static final long NOT_FULL = Long.MIN_VALUE;

    private boolean accepting = true;

    /**
     * @param capacity how many items that may be dropped it holds
     * @param policy what to do with items that do not fit
     * @param onDrop called, outside the queue's lock, with each item the policy drops
     * @param releaseOnTake whether an item's place is free once it is taken; otherwise once it is
     * {@linkplain #release(int) released}, which the drop policies cannot do
     */
    BoundedQueue(int capacity, OverflowPolicy policy, Consumer<T> onDrop, boolean releaseOnTake) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        if (!releaseOnTake && policy != OverflowPolicy.BLOCK) {
            throw new IllegalArgumentException("Only block can count taken items until they are released");
        }
        this.capacity = capacity;
        this.policy = policy;
        this.onDrop = onDrop;
        this.releaseOnTake = releaseOnTake;
    }

    /**
     * Queues {@code items} in order, applying the overflow policy to those that do not fit: {@code block} waits for
     * room, {@code drop-newest} drops what does not fit, {@code drop-oldest} drops the oldest queued items to make room.
     * @return the items refused because the queue stopped accepting (before or while waiting), in order; empty
     * otherwise
     */
    List<T> admit(List<T> items) {
        List<T> dropped = new ArrayList<>(0);
        List<T> refused;
        this.lock.lock();
        try {
            refused = admitLocked(items, dropped);
        }
        finally {
            this.lock.unlock();
        }
        dropped.forEach(this.onDrop);
        return refused;
    }

    private List<T> admitLocked(List<T> items, List<T> dropped) {
        int next = 0;
        while (next < items.size()) {
            if (!this.accepting) {
                return List.copyOf(items.subList(next, items.size()));
            }
            int room = this.capacity - this.counted.get();
            if (room == 0) {
                if (this.fullSince == NOT_FULL) {
                    this.fullSince = System.nanoTime();
                }
                switch (this.policy) {
                    case BLOCK -> {
                        if (!awaitRoom()) {
                            return List.copyOf(items.subList(next, items.size()));
                        }
                        continue;
                    }
                    case DROP_NEWEST -> {
                        dropped.addAll(items.subList(next, items.size()));
                        return List.of();
                    }
                    case DROP_OLDEST -> {
                        T oldest = removeOldestCounted();
                        dropped.add(oldest);
                        room = 1;
                    }
                }
            }
            else if (this.fullSince != NOT_FULL) {
                this.fullSince = NOT_FULL;
            }
            int fitting = Math.min(room, items.size() - next);
            for (int i = 0; i < fitting; i++) {
                this.entries.addLast(new Entry<>(items.get(next++), true));
            }
            this.counted.addAndGet(fitting);
            this.notEmpty.signal();
        }
        return List.of();
    }

    /**
     * Queues {@code item}, which is never dropped and never waits.
     * @return whether it was queued: {@code false} once the queue stopped accepting
     */
    boolean admitUndroppable(T item) {
        this.lock.lock();
        try {
            if (!this.accepting) {
                return false;
            }
            this.entries.addLast(new Entry<>(item, false));
            this.notEmpty.signal();
            return true;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Moves up to {@code max} items into {@code into}, waiting until there is one, or until the queue is empty and no
     * longer accepting.
     * @return how many were moved: 0 only when the queue is drained and closed
     * @throws InterruptedException if interrupted while waiting
     */
    int take(List<T> into, int max) throws InterruptedException {
        this.lock.lockInterruptibly();
        try {
            while (this.entries.isEmpty()) {
                if (!this.accepting) {
                    return 0;
                }
                this.notEmpty.await();
            }
            int taken = 0;
            int freed = 0;
            while (taken < max && !this.entries.isEmpty()) {
                Entry<T> entry = this.entries.pollFirst();
                into.add(entry.item());
                taken++;
                if (entry.counted()) {
                    freed++;
                }
            }
            if (!this.entries.isEmpty()) {
                // Another consumer may take the rest.
                this.notEmpty.signal();
            }
            if (this.releaseOnTake) {
                release(freed);
            }
            return taken;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Gives back the places of {@code count} taken items that may be dropped: on taking, or, when places are held
     * until release, as each starts. Needs no lock, and takes it only to wake a waiting producer (re-entrantly when
     * called while taking).
     */
    void release(int count) {
        int free = this.capacity - this.counted.addAndGet(-count);
        if (free > 0 && this.fullSince != NOT_FULL) {
            this.fullSince = NOT_FULL;
        }
        if (this.waiting > 0 && free >= this.wanted) {
            this.lock.lock();
            try {
                this.roomFreed.signalAll();
            }
            finally {
                this.lock.unlock();
            }
        }
    }

    /**
     * Returns since when ({@link System#nanoTime()}) a producer has found the queue full with no place given back
     * since, or {@link #NOT_FULL}.
     */
    long fullSince() {
        return this.fullSince;
    }

    /**
     * Returns how many more items that may be dropped fit without waiting or dropping.
     */
    int room() {
        return this.capacity - this.counted.get();
    }

    /**
     * Stops accepting items: producers waiting for room get their items back as refused; what is queued can still
     * be taken.
     */
    void stopAccepting() {
        this.lock.lock();
        try {
            this.accepting = false;
            this.roomFreed.signalAll();
            this.notEmpty.signalAll();
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Removes and returns everything queued, in order.
     */
    List<T> clear() {
        this.lock.lock();
        try {
            List<T> rest = new ArrayList<>(this.entries.size());
            this.entries.forEach((entry) -> rest.add(entry.item()));
            this.entries.clear();
            this.counted.set(0);
            this.fullSince = NOT_FULL;
            this.roomFreed.signalAll();
            return rest;
        }
        finally {
            this.lock.unlock();
        }
    }

    /**
     * Returns how many items that may be dropped are queued, and, when places are given back on release, taken but
     * not yet released.
     */
    int size() {
        return this.counted.get();
    }

    /**
     * Waits until half the queue or {@link #MAX_REFILL} places are free, whichever is fewer (at least one).
     * @return {@code false} if the queue stopped accepting or the thread was interrupted meanwhile
     */
    private boolean awaitRoom() {
        int enough = Math.max(1, Math.min(MAX_REFILL, this.capacity / 2));
        this.wanted = Math.min(this.wanted, enough);
        this.waiting++;
        try {
            while (this.accepting && this.capacity - this.counted.get() < enough) {
                this.roomFreed.await(50, TimeUnit.MILLISECONDS);
            }
            return this.accepting;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
        finally {
            if (--this.waiting == 0) {
                this.wanted = Integer.MAX_VALUE;
            }
        }
    }

    private T removeOldestCounted() {
        Iterator<Entry<T>> oldestFirst = this.entries.iterator();
        while (oldestFirst.hasNext()) {
            Entry<T> entry = oldestFirst.next();
            // Only items that count can be the reason the queue is full, so there is one.
            if (entry.counted()) {
                oldestFirst.remove();
                this.counted.decrementAndGet();
                return entry.item();
            }
        }
        throw new IllegalStateException("A full queue holds no item that may be dropped");
    }

    private record Entry<T>(T item, boolean counted) {

    }

}
