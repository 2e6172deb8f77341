package dev.pgbroadcaster.dispatch;

import java.util.Map;

import dev.pgbroadcaster.RawNotification;

/**
 * A notification ready to be delivered: as PostgreSQL sent it, as decoded for its channel, and when it was read.
 *
 * @param raw the envelope: channel, payload and the sender's process id
 * @param decoded the event decoded from the payload, or {@code null} on a channel whose payloads are not decoded
 * @param receivedAt when it was read off the connection, in {@link System#nanoTime()}
 * @param trace the sender's trace context, as propagation fields ({@code traceparent}, ...) that came in the
 * payload's envelope; empty for a plain payload
 */
public record Notification(RawNotification raw, Object decoded, long receivedAt, Map<String, String> trace) {

    /**
     * A notification without a trace context.
     */
    public Notification(RawNotification raw, Object decoded, long receivedAt) {
        this(raw, decoded, receivedAt, Map.of());
    }

    public String channel() {
        return this.raw.channel();
    }

}
