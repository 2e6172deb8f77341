package dev.pgbroadcaster.benchmark;

import java.io.Serializable;

/**
 * What every contender receives: a sequence number, so losses and duplicates show, and the sender's
 * {@link System#nanoTime()} just before the statement that commits it, so latency is commit to listener.
 */
public record BenchEvent(long seq, long sentNanos) implements Serializable {

    String json() {
        return "{\"seq\":" + this.seq + ",\"sentNanos\":" + this.sentNanos + "}";
    }

}
