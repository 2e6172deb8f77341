package dev.pgbroadcaster.dispatch;

import dev.pgbroadcaster.RawNotification;

/**
 * A notification ready to be delivered: as PostgreSQL sent it, as decoded for its channel, and when it was read.
 *
 * @param raw the envelope: channel, payload and the sender's process id
 * @param decoded the event decoded from the payload, or {@code null} on a channel whose payloads are not decoded
 * @param receivedAt when it was read off the connection, in {@link System#nanoTime()}
 */
public record Notification(RawNotification raw, Object decoded, long receivedAt) {

    public String channel() {
        return this.raw.channel();
    }

}
