package dev.pgbroadcaster.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import dev.pgbroadcaster.OverflowPolicy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;


/**
 * A {@link BoundedQueue} and the threads that run its items: the dispatch queue with its dispatch threads, and
 * each subscriber's queue with its thread. It knows, when it shuts down, which items never ran: those still
 * queued and those a thread had taken but not started.
 */
final class Lane {

    private static final Log logger = LogFactory.getLog(Lane.class);

    private final BoundedQueue<Runnable> queue;

    private final int batch;

    /** Whether items taken in batches keep their place in the queue until each starts. */
    private final boolean holdsPlaces;

    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    /** What each thread has taken and not finished, by thread. */
    private final AtomicReferenceArray<Taken> taken;

    /**
     * @param threadNamePrefix prefix of the threads' names, which end in 1, 2, ...
     * @param threads how many threads run the items
     * @param batch most items a thread takes at a time; more than one only with {@code block}
     * @param capacity how many items may wait
     * @param policy what to do with items that do not fit
     * @param onDrop called with every item the policy drops
     */
    Lane(String threadNamePrefix, int threads, int batch, int capacity, OverflowPolicy policy, Consumer<Runnable> onDrop) {
        this(threadNamePrefix, LaneThreads.PLATFORM, threads, batch, capacity, policy, onDrop);
    }

    /**
     * @param threadNamePrefix prefix of the threads' names, which end in 1, 2, ...
     * @param kind platform or virtual threads
     * @param threads how many threads run the items
     * @param batch most items a thread takes at a time; more than one only with {@code block}
     * @param capacity how many items may wait
     * @param policy what to do with items that do not fit
     * @param onDrop called with every item the policy drops
     */
    Lane(String threadNamePrefix, LaneThreads kind, int threads, int batch, int capacity, OverflowPolicy policy,
            Consumer<Runnable> onDrop) {
        // A batch taken at once still counts against the capacity until each item starts, so that a thread holding a
        // batch does not let the producer run ahead by as much again.
        this.holdsPlaces = batch > 1;
        this.queue = new BoundedQueue<>(capacity, policy, onDrop, !this.holdsPlaces);
        this.batch = batch;
        this.taken = new AtomicReferenceArray<>(threads);
        ThreadFactory threadFactory = kind.factory(threadNamePrefix);
        for (int i = 0; i < threads; i++) {
            int slot = i;
            Thread thread = threadFactory.newThread(() -> work(slot));
            this.threads.add(thread);
            thread.start();
        }
    }

    /**
     * Queues {@code items} as the overflow policy allows.
     * @return the items refused because the lane is shutting down
     */
    List<Runnable> admit(List<Runnable> items) {
        return this.queue.admit(items);
    }

    /**
     * Queues {@code item}, which is never dropped and never waits for room.
     * @return {@code false} if the lane is shutting down
     */
    boolean admitUndroppable(Runnable item) {
        return this.queue.admitUndroppable(new Undroppable(item));
    }

    /**
     * Returns how many items that may be dropped are waiting.
     */
    int queued() {
        return this.queue.size();
    }

    /**
     * Returns since when ({@link System#nanoTime()}) the queue has been full with no item started since, or
     * {@link BoundedQueue#NOT_FULL}.
     */
    long fullSince() {
        return this.queue.fullSince();
    }

    /**
     * Returns the items running now, each with its thread.
     */
    List<Running> running() {
        List<Running> running = new ArrayList<>(this.taken.length());
        for (int i = 0; i < this.taken.length(); i++) {
            Taken each = this.taken.get(i);
            Runnable item = (each != null) ? each.current() : null;
            if (item != null) {
                running.add(new Running(this.threads.get(i),
                        (item instanceof Undroppable undroppable) ? undroppable.item() : item));
            }
        }
        return running;
    }

    /**
     * Returns how many more items fit without waiting or dropping.
     */
    int room() {
        return this.queue.room();
    }

    /**
     * Stops taking items; those queued still run.
     */
    void stopAccepting() {
        this.queue.stopAccepting();
    }

    /**
     * Stops taking items, runs those queued until {@code deadline}, then interrupts the threads and waits a moment
     * for them to end.
     * @return the items that never ran, in order
     */
    List<Runnable> shutdown(long deadline) {
        stopAccepting();
        if (awaitThreads(deadline)) {
            return List.of();
        }
        List<Runnable> neverRan = new ArrayList<>();
        for (int i = 0; i < this.taken.length(); i++) {
            Taken each = this.taken.get(i);
            if (each != null) {
                neverRan.addAll(each.claimRest());
            }
        }
        neverRan.addAll(this.queue.clear());
        neverRan.replaceAll((item) -> (item instanceof Undroppable undroppable) ? undroppable.item() : item);
        this.threads.forEach(Thread::interrupt);
        awaitThreads(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        return neverRan;
    }

    /**
     * Drops what is queued and lets the threads end, without waiting for them.
     * @param interruptRunning whether to interrupt an item that is running
     */
    void discard(boolean interruptRunning) {
        stopAccepting();
        this.queue.clear();
        for (int i = 0; i < this.taken.length(); i++) {
            Taken each = this.taken.get(i);
            if (each != null) {
                each.claimRest();
            }
        }
        if (interruptRunning) {
            this.threads.forEach(Thread::interrupt);
        }
    }

    static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private boolean awaitThreads(long deadline) {
        try {
            for (Thread thread : this.threads) {
                long left = remainingNanos(deadline);
                if (thread != Thread.currentThread()) {
                    if (left > 0) {
                        TimeUnit.NANOSECONDS.timedJoin(thread, left);
                    }
                    if (thread.isAlive()) {
                        return false;
                    }
                }
            }
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void work(int slot) {
        try {
            while (true) {
                List<Runnable> hand = new ArrayList<>(Math.min(this.batch, 16));
                if (this.queue.take(hand, this.batch) == 0) {
                    return;
                }
                Taken current = new Taken(hand, this.holdsPlaces ? this.queue : null);
                this.taken.set(slot, current);
                try {
                    current.runAll();
                }
                finally {
                    this.taken.set(slot, null);
                }
            }
        }
        catch (InterruptedException ex) {
            // Shut down: what this thread had taken was claimed by shutdown().
        }
    }

    /**
     * An item running now, and the thread running it.
     */
    record Running(Thread thread, Runnable item) {

    }

    /**
     * An item that is never dropped and takes no place in the queue.
     */
    private record Undroppable(Runnable item) implements Runnable {

        @Override
        public void run() {
            this.item.run();
        }

    }

    /**
     * Items a thread has taken. Each is claimed once: by the thread, as it starts it, or by shutting down, which
     * counts those the thread never started.
     */
    private static final class Taken {

        private final List<Runnable> items;

        /** The queue to give each item's place back to as it starts, or {@code null} when taking gave it back. */
        private final BoundedQueue<Runnable> places;

        private final AtomicInteger next = new AtomicInteger();

        Taken(List<Runnable> items, BoundedQueue<Runnable> places) {
            this.items = items;
            this.places = places;
        }

        void runAll() {
            int index;
            while ((index = this.next.getAndIncrement()) < this.items.size()) {
                Runnable item = this.items.get(index);
                if (this.places != null && !(item instanceof Undroppable)) {
                    this.places.release(1);
                }
                try {
                    item.run();
                }
                catch (RuntimeException ex) {
                    // Items handle their own failures; this keeps the thread alive should one not.
                    logger.error("A queued pg-broadcaster task failed; the next ones still run", ex);
                }
            }
        }

        /**
         * Returns the item started last, or {@code null} when shutting down claimed the rest.
         */
        Runnable current() {
            int started = this.next.get() - 1;
            return (started >= 0 && started < this.items.size()) ? this.items.get(started) : null;
        }

        List<Runnable> claimRest() {
            int from = this.next.getAndSet(this.items.size());
            return (from < this.items.size()) ? this.items.subList(from, this.items.size()) : List.of();
        }

    }

}
