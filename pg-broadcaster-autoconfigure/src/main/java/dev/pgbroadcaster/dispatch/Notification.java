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
 * @param position where it stands in the journal, or {@code null} when it did not come from the journal
 */
public record Notification(RawNotification raw, Object decoded, long receivedAt, Map<String, String> trace,
        JournalPosition position) {

    /**
     * A notification without a trace context, not from the journal.
     */
    public Notification(RawNotification raw, Object decoded, long receivedAt) {
        this(raw, decoded, receivedAt, Map.of(), null);
    }

    public String channel() {
        return this.raw.channel();
    }

    /**
     * Where a change stands in the journal, as its reader handed it over: every change handed over after it is in a
     * row whose transaction id is at least {@code horizon} or whose id is above {@code id}. So the changes after it
     * are the rows {@code xid >= horizon OR id > id}, which a client that saw it can ask for.
     *
     * @param horizon a transaction id below which every transaction had ended and had its rows handed over
     * @param id the journal row's id
     */
    public record JournalPosition(long horizon, long id) {

        /**
         * Returns the position as text, {@code horizon-id}, as it goes in an SSE event's id.
         */
        @Override
        public String toString() {
            return this.horizon + "-" + this.id;
        }

        /**
         * Reads the text of {@link #toString()}, or returns {@code null} if it is not one.
         */
        public static JournalPosition parse(String text) {
            if (text == null) {
                return null;
            }
            int dash = text.indexOf('-');
            if (dash <= 0 || dash == text.length() - 1) {
                return null;
            }
            try {
                long horizon = Long.parseLong(text, 0, dash, 10);
                long id = Long.parseLong(text, dash + 1, text.length(), 10);
                return (horizon >= 0 && id >= 0) ? new JournalPosition(horizon, id) : null;
            }
            catch (NumberFormatException ex) {
                return null;
            }
        }

    }

}
