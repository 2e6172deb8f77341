package dev.pgbroadcaster.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The publishing side of the workloads: senders on threads of their own, paced or flat out.
 */
final class Workloads {

    static final int PUBLISHERS = 2;

    private Workloads() {
    }

    /**
     * Sends {@code count} events numbered from {@code firstSeq} up, or down when it is negative (pings),
     * {@code rate} per second spread over the publishers; a publisher that falls behind its schedule sends at once
     * rather than skipping.
     * @param rate notifications per second, or 0 for as fast as the publishers can
     * @return how long sending took, in nanoseconds
     */
    static long paced(Contender.Running running, long firstSeq, int count, int rate) throws Exception {
        List<Sender> senders = new ArrayList<>();
        try {
            for (int i = 0; i < PUBLISHERS; i++) {
                senders.add(running.newSender());
            }
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
            double interval = rate > 0 ? 1e9 / rate : 0;
            return onPublishers((publisher) -> {
                Sender sender = senders.get(publisher);
                for (long i = publisher; i < count; i += PUBLISHERS) {
                    long due = start + (long) (i * interval);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    sender.send(firstSeq < 0 ? firstSeq - i : firstSeq + i);
                }
            });
        }
        finally {
            for (Sender sender : senders) {
                sender.close();
            }
        }
    }

    /**
     * Sends {@code count} notifications numbered from {@code firstSeq} up, or down when it is negative (pings), as
     * fast as the publishers can, {@code batchSize} NOTIFYs per transaction.
     * @return how long sending took, in nanoseconds
     */
    static long batched(Contender.Running running, long firstSeq, int count, int batchSize) throws Exception {
        List<NotifySender> senders = new ArrayList<>();
        try {
            for (int i = 0; i < PUBLISHERS; i++) {
                senders.add((NotifySender) running.newSender());
            }
            int batches = (count + batchSize - 1) / batchSize;
            return onPublishers((publisher) -> {
                for (int batch = publisher; batch < batches; batch += PUBLISHERS) {
                    long first = (long) batch * batchSize;
                    long last = Math.min(count, first + batchSize) - 1;
                    if (firstSeq < 0) {
                        senders.get(publisher).sendBatch(firstSeq - last, firstSeq - first);
                    }
                    else {
                        senders.get(publisher).sendBatch(firstSeq + first, firstSeq + last);
                    }
                }
            });
        }
        finally {
            for (Sender sender : senders) {
                sender.close();
            }
        }
    }

    /**
     * Sends ping {@code seq} until it comes back or the timeout passes: the contender is listening.
     */
    static void awaitListening(Contender.Running running, Recorder recorder, long timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try (Sender sender = running.newSender()) {
            while (true) {
                sender.send(-1);
                if (recorder.awaitPing(-1, 50, TimeUnit.MILLISECONDS)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Nothing came back within " + timeoutSeconds + " s");
                }
            }
        }
    }

    /**
     * Sends {@code count} pings at {@code rate} and waits until they have all come back, so the code on the
     * receiving path has been compiled before anything is measured.
     */
    static void warmUp(Contender.Running running, Recorder recorder, int count, int rate) throws Exception {
        paced(running, -2, count, rate);
        if (!recorder.awaitWarmUpPings(count, 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The warm-up did not drain within 120 s");
        }
    }

    /**
     * Sends {@code count} pings in transactions of {@code batchSize} as fast as the publishers can, and waits until
     * they have all come back: the busy path compiled as well as the idle one.
     */
    static void warmUpBatched(Contender.Running running, Recorder recorder, int count, int batchSize)
            throws Exception {
        long before = recorder.warmUpPings();
        batched(running, -2, count, batchSize);
        if (!recorder.awaitWarmUpPings(before + count, 120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The warm-up did not drain within 120 s");
        }
    }

    private static long onPublishers(PublisherTask task) throws Exception {
        List<Thread> threads = new ArrayList<>();
        Exception[] failures = new Exception[PUBLISHERS];
        long start = System.nanoTime();
        for (int i = 0; i < PUBLISHERS; i++) {
            int publisher = i;
            Thread thread = new Thread(() -> {
                try {
                    task.run(publisher);
                }
                catch (Exception ex) {
                    failures[publisher] = ex;
                }
            }, "benchmark-publisher-" + i);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long elapsed = System.nanoTime() - start;
        for (Exception failure : failures) {
            if (failure != null) {
                throw failure;
            }
        }
        return elapsed;
    }

    @FunctionalInterface
    private interface PublisherTask {

        void run(int publisher) throws Exception;

    }

}
