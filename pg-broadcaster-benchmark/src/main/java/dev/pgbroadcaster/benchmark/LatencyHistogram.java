package dev.pgbroadcaster.benchmark;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in whole microseconds, counted per microsecond up to one second (everything above falls in one last
 * bucket, its maximum kept exactly), so that many threads can record a million a second without keeping each one.
 * Latency here is between two readings of the wall clock ({@link #nowMicros()}), which two processes on one machine
 * share.
 */
final class LatencyHistogram {

    private static final int BUCKETS = 1_000_001;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    private final AtomicLong total = new AtomicLong();

    private final AtomicLong max = new AtomicLong();

    /** The wall clock in microseconds since the epoch: what senders stamp on a payload, and receivers compare. */
    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    void record(long micros) {
        long latency = Math.max(0, micros);
        this.counts.incrementAndGet((int) Math.min(BUCKETS - 1, latency));
        this.total.incrementAndGet();
        this.max.accumulateAndGet(latency, Math::max);
    }

    long count() {
        return this.total.get();
    }

    /**
     * Returns p50, p99 and max in milliseconds, or NaN when nothing was recorded.
     */
    double[] percentilesMillis() {
        long n = this.total.get();
        if (n == 0) {
            return new double[] { Double.NaN, Double.NaN, Double.NaN };
        }
        return new double[] { quantile(n, 0.50) / 1e3, quantile(n, 0.99) / 1e3, this.max.get() / 1e3 };
    }

    private long quantile(long n, double quantile) {
        long rank = Math.max(1, (long) Math.ceil(quantile * n));
        long seen = 0;
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            seen += this.counts.get(bucket);
            if (seen >= rank) {
                return bucket == BUCKETS - 1 ? this.max.get() : bucket;
            }
        }
        return this.max.get();
    }

    /** One line, as the server process reports it: count, p50, p99 and max in milliseconds. */
    String summary() {
        double[] p = percentilesMillis();
        return String.format(Locale.ROOT, "%d %.3f %.3f %.3f", count(), p[0], p[1], p[2]);
    }

}
