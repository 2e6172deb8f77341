package dev.pgbroadcaster.benchmark;

import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Collects what one contender delivers during one workload: which sequence numbers arrived, how often, and
 * (when asked) each one's latency at the last of its listeners. Negative sequence numbers are pings, sent to
 * learn when a contender listens and to warm it up, and are not counted.
 */
final class Recorder {

    private final int expected;

    private final int listeners;

    private final long[] latencies;

    private final BitSet seen;

    private int received;

    private long deliveries;

    private long duplicates;

    private long unexpected;

    private long firstReceiveNanos;

    private long lastReceiveNanos;

    private long lastPing;

    private long warmUpPings;

    Recorder(int expected, int listeners, boolean measureLatency) {
        this.expected = expected;
        this.listeners = listeners;
        this.latencies = measureLatency ? new long[expected] : null;
        this.seen = new BitSet(expected);
    }

    /**
     * Called by listener {@code listener} (0 to listeners - 1) of a contender for every event it gets.
     */
    synchronized void deliver(int listener, long seq, long sentNanos) {
        long now = System.nanoTime();
        if (seq < 0) {
            if (listener == this.listeners - 1) {
                this.lastPing = seq;
                if (seq < -1) {
                    this.warmUpPings++;
                }
                notifyAll();
            }
            return;
        }
        this.deliveries++;
        if (listener != this.listeners - 1) {
            return;
        }
        if (seq >= this.expected) {
            this.unexpected++;
            return;
        }
        if (this.seen.get((int) seq)) {
            this.duplicates++;
            return;
        }
        this.seen.set((int) seq);
        this.received++;
        if (this.latencies != null) {
            this.latencies[(int) seq] = now - sentNanos;
        }
        if (this.firstReceiveNanos == 0) {
            this.firstReceiveNanos = now;
        }
        this.lastReceiveNanos = now;
        if (this.received == this.expected) {
            notifyAll();
        }
    }

    /**
     * Waits until ping {@code seq} (negative) has been the last to arrive.
     */
    synchronized boolean awaitPing(long seq, long timeout, TimeUnit unit) throws InterruptedException {
        return awaitUntil(() -> this.lastPing == seq, System.nanoTime() + unit.toNanos(timeout));
    }

    /**
     * Waits until {@code count} warm-up pings (those below -1) have arrived, in whatever order.
     */
    synchronized boolean awaitWarmUpPings(long count, long timeout, TimeUnit unit) throws InterruptedException {
        return awaitUntil(() -> this.warmUpPings >= count, System.nanoTime() + unit.toNanos(timeout));
    }

    /**
     * Waits until every expected sequence number has arrived, or the deadline passes.
     */
    synchronized boolean awaitAll(long deadlineNanos) throws InterruptedException {
        return awaitUntil(() -> this.received >= this.expected, deadlineNanos);
    }

    /** Called holding this recorder's monitor, which {@link #deliver} notifies on every change waited for. */
    private boolean awaitUntil(BooleanSupplier condition, long deadlineNanos) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    synchronized long warmUpPings() {
        return this.warmUpPings;
    }

    int listeners() {
        return this.listeners;
    }

    synchronized int received() {
        return this.received;
    }

    synchronized long deliveries() {
        return this.deliveries;
    }

    synchronized long duplicates() {
        return this.duplicates;
    }

    synchronized long unexpected() {
        return this.unexpected;
    }

    synchronized long lastReceiveNanos() {
        return this.lastReceiveNanos;
    }

    /**
     * The latency percentiles, in milliseconds, of what arrived: p50, p99, p99.9 and max.
     */
    synchronized double[] latencyPercentilesMillis() {
        long[] arrived = Arrays.stream(this.latencies).filter((latency) -> latency > 0).sorted().toArray();
        if (arrived.length == 0) {
            return new double[] { Double.NaN, Double.NaN, Double.NaN, Double.NaN };
        }
        return new double[] { millis(arrived, 0.50), millis(arrived, 0.99), millis(arrived, 0.999),
                arrived[arrived.length - 1] / 1e6 };
    }

    private static double millis(long[] sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

}
