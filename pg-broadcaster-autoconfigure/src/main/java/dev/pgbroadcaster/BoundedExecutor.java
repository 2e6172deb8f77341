package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.springframework.scheduling.concurrent.CustomizableThreadFactory;

/**
 * A fixed pool of threads fed by a bounded queue, where a full queue is handled by an {@link OverflowPolicy}.
 * The dispatch queue and each subscriber's queue are one of these.
 */
final class BoundedExecutor {

    private static final long BLOCK_RECHECK_MILLIS = 50;

    private final ThreadPoolExecutor executor;

    private final OverflowPolicy policy;

    private final Consumer<Runnable> onDrop;

    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    /**
     * @param threadNamePrefix prefix of the names of the threads
     * @param threads number of threads
     * @param capacity how many tasks may wait
     * @param policy what to do when {@code capacity} tasks are waiting
     * @param onDrop called with every task the policy discards
     */
    BoundedExecutor(String threadNamePrefix, int threads, int capacity, OverflowPolicy policy, Consumer<Runnable> onDrop) {
        CustomizableThreadFactory threadFactory = new CustomizableThreadFactory(threadNamePrefix);
        threadFactory.setDaemon(true);
        this.policy = policy;
        this.onDrop = onDrop;
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(capacity), (task) -> {
                    Thread thread = threadFactory.newThread(task);
                    this.threads.add(thread);
                    return thread;
                }, new OverflowHandler());
        this.executor.prestartAllCoreThreads();
    }

    /**
     * Queues {@code task}, applying the overflow policy when the queue is full.
     * @return {@code false} if the task was not accepted because the executor is shutting down
     */
    boolean submit(Runnable task) {
        if (this.executor.isShutdown()) {
            return false;
        }
        try {
            this.executor.execute(task);
            return true;
        }
        catch (RejectedAfterShutdown ex) {
            return false;
        }
    }

    /**
     * Queues {@code task}, which no overflow policy discards: when the queue is full, {@code block} waits for room
     * and the drop policies drop a queued task that may be dropped (the oldest or the newest one) in its place.
     * @return {@code false} if the task was not accepted because the executor is shutting down
     */
    boolean submitUndroppable(Runnable task) {
        return submit(new Undroppable(task));
    }

    int queued() {
        return this.executor.getQueue().size();
    }

    /**
     * Stops accepting tasks, runs the queued ones until {@code deadline}, then interrupts the threads.
     * @return the queued tasks that did not run
     */
    List<Runnable> shutdown(long deadline) {
        return shutdown(deadline, () -> {
        });
    }

    /**
     * Like {@link #shutdown(long)}, calling {@code beforeInterrupting} once the deadline has passed with tasks
     * still running or queued, just before the threads are interrupted.
     */
    List<Runnable> shutdown(long deadline, Runnable beforeInterrupting) {
        stopAccepting();
        return awaitShutdown(deadline, beforeInterrupting);
    }

    /**
     * Returns whether tasks are still accepted.
     */
    boolean accepting() {
        return !this.executor.isShutdown();
    }

    /**
     * Stops accepting tasks; the queued ones still run.
     */
    void stopAccepting() {
        this.executor.shutdown();
    }

    /**
     * Waits until the queued tasks have run or {@code deadline} has passed, then interrupts the threads.
     * @return the queued tasks that did not run
     */
    List<Runnable> awaitShutdown(long deadline) {
        return awaitShutdown(deadline, () -> {
        });
    }

    private List<Runnable> awaitShutdown(long deadline, Runnable beforeInterrupting) {
        try {
            if (!this.executor.awaitTermination(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
                beforeInterrupting.run();
                List<Runnable> abandoned = this.executor.shutdownNow();
                if (this.executor.awaitTermination(1, TimeUnit.SECONDS)) {
                    joinThreads(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                }
                return abandoned;
            }
            joinThreads(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            return List.of();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            beforeInterrupting.run();
            return this.executor.shutdownNow();
        }
    }

    /**
     * Discards the queued tasks and stops the threads without waiting for them.
     * @param interruptRunning whether to interrupt a task that is running
     */
    void discard(boolean interruptRunning) {
        if (interruptRunning) {
            this.executor.shutdownNow();
        }
        else {
            this.executor.shutdown();
            this.executor.getQueue().clear();
        }
    }

    boolean awaitTermination(Duration timeout) {
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!this.executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return false;
            }
            joinThreads(deadline + TimeUnit.SECONDS.toNanos(1));
            return true;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The executor counts as terminated once its last worker has left its task loop, a moment before that
     * thread ends; waiting for the threads themselves means none is left running when closing returns.
     */
    private void joinThreads(long deadline) throws InterruptedException {
        for (Thread thread : this.threads) {
            long left = remainingNanos(deadline);
            if (left > 0 && thread != Thread.currentThread()) {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            }
        }
    }

    static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static final class RejectedAfterShutdown extends RuntimeException {

        RejectedAfterShutdown() {
            super(null, null, false, false);
        }

    }

    private record Undroppable(Runnable task) implements Runnable {

        @Override
        public void run() {
            this.task.run();
        }

    }

    private final class OverflowHandler implements RejectedExecutionHandler {

        @Override
        public void rejectedExecution(Runnable task, ThreadPoolExecutor executor) {
            if (executor.isShutdown()) {
                throw new RejectedAfterShutdown();
            }
            switch (BoundedExecutor.this.policy) {
                case BLOCK -> waitForRoom(task, executor);
                case DROP_NEWEST -> {
                    if (task instanceof Undroppable) {
                        offerMakingRoom(task, executor, false);
                    }
                    else {
                        BoundedExecutor.this.onDrop.accept(task);
                    }
                }
                case DROP_OLDEST -> offerMakingRoom(task, executor, true);
            }
        }

        /**
         * Queues {@code task} in place of the oldest or newest queued task that may be dropped; waits for room
         * when only undroppable tasks are queued.
         */
        private void offerMakingRoom(Runnable task, ThreadPoolExecutor executor, boolean oldest) {
            BlockingQueue<Runnable> queue = executor.getQueue();
            while (!queue.offer(task)) {
                if (!dropOne(queue, oldest)) {
                    waitForRoom(task, executor);
                    return;
                }
            }
        }

        private boolean dropOne(BlockingQueue<Runnable> queue, boolean oldest) {
            Runnable victim = null;
            for (Runnable queued : queue) {
                if (!(queued instanceof Undroppable)) {
                    victim = queued;
                    if (oldest) {
                        break;
                    }
                }
            }
            if (victim != null && queue.remove(victim)) {
                BoundedExecutor.this.onDrop.accept(victim);
            }
            // When a thread took the victim first, there is room now.
            return victim != null;
        }

        private void waitForRoom(Runnable task, ThreadPoolExecutor executor) {
            try {
                while (!executor.getQueue().offer(task, BLOCK_RECHECK_MILLIS, TimeUnit.MILLISECONDS)) {
                    if (executor.isShutdown()) {
                        throw new RejectedAfterShutdown();
                    }
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new RejectedAfterShutdown();
            }
            // Shut down while we waited: the task may sit in a queue nobody will drain any more.
            if (executor.isTerminated() && executor.getQueue().remove(task)) {
                throw new RejectedAfterShutdown();
            }
        }

    }

}
