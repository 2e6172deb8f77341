package dev.pgbroadcaster;

import java.time.Duration;
import java.util.Locale;

/**
 * Hears, per channel, what happens to each notification, and what happens to the listener connection: for
 * statistics, metrics, or an application's own bookkeeping. Every {@code BroadcasterObserver} bean is called, in
 * their order ({@code @Order}); {@link BroadcasterStatistics} is one. Called on the listener, dispatch and subscriber
 * threads, so implementations must be quick and thread-safe; one that throws is logged and does not stop delivery.
 */
public interface BroadcasterObserver {

    /**
     * An observer that does nothing.
     */
    BroadcasterObserver NONE = new BroadcasterObserver() {
    };

    /**
     * A notification was read off the connection.
     * @param channel the channel it came on
     */
    default void received(String channel) {
    }

    /**
     * A notification's payload could not be decoded; it was dropped.
     * @param channel the channel it came on
     */
    default void invalid(String channel) {
    }

    /**
     * A notification was published to the application's event listeners.
     * @param channel the channel it came on
     * @param latencyNanos from reading it off the connection to the end of publishing
     */
    default void delivered(String channel, long latencyNanos) {
    }

    /**
     * A notification was dropped: for a subscriber only, or altogether.
     * @param channel the channel it came on
     * @param reason where it was dropped, and why
     */
    default void dropped(String channel, DropReason reason) {
    }

    /**
     * An application event listener threw while handling a notification or a connection event; the other
     * listeners still received it.
     */
    default void listenerFailed() {
    }

    /**
     * A subscriber's callback handled a notification.
     * @param channel the channel it came on
     */
    default void subscriberDelivered(String channel) {
    }

    /**
     * A subscriber's callback threw while handling a notification.
     * @param channel the channel it came on
     */
    default void subscriberFailed(String channel) {
    }

    /**
     * The listener connection is up and LISTENing.
     * @param reconnect whether it came back after it was lost
     */
    default void connected(boolean reconnect) {
    }

    /**
     * The delivery check of the listener connection that is up now came to {@code check}: right after LISTEN the
     * listener sends a notification from another connection and waits for it to arrive.
     * @param check the outcome
     */
    default void deliveryChecked(BroadcasterStatistics.DeliveryCheck check) {
    }

    /**
     * The listener connection could not be made, or was lost, for {@code cause}, whose messages carry no password.
     * @param cause why
     */
    default void connectionFailed(Throwable cause) {
    }

    /**
     * The listener connection is down: lost, not yet made, or closed.
     */
    default void disconnected() {
    }

    /**
     * The listener read the server's {@code pg_notification_queue_usage()}: the fraction, 0 to 1, of the
     * notification queue taken by notifications that some session listening on the server has not read yet. When it
     * reaches 1, every NOTIFY fails at commit. Read on the listener connection at most once every
     * {@code pg.broadcaster.liveness.interval}.
     * @param usage the fraction read, 0 to 1
     */
    default void notificationQueueUsage(double usage) {
    }

    /**
     * With the journal: a new listener connection read the journal before it was announced and handed over the
     * {@code rows} changes written while there was none (zero for the first connection, which only marks where
     * delivery starts); {@code complete} is {@code false} when it could not reach back to all of them.
     * @param rows how many changes were handed over
     * @param complete whether the replay reached back to every change written while there was no connection
     */
    default void replayed(long rows, boolean complete) {
    }

    /**
     * With the journal: a periodic catch-up read the journal and handed over the {@code rows} changes that no
     * notification had brought; {@code horizonAge} is how long the oldest transaction open at this catch-up has been
     * seen open by the catch-ups (zero when none was).
     * @param rows how many changes were handed over
     * @param horizonAge how long the oldest open transaction has been seen open
     */
    default void caughtUp(long rows, Duration horizonAge) {
    }

    /**
     * With the journal: rows older than the retention were deleted, {@code rows} of them.
     * @param rows how many rows were deleted
     */
    default void journalCleaned(long rows) {
    }

    /**
     * Why a notification was dropped.
     */
    enum DropReason {

        /** The dispatch queue was full and the overflow policy drops. */
        DISPATCH_QUEUE_FULL,

        /** A subscriber's queue was full and the overflow policy drops. */
        SUBSCRIBER_QUEUE_FULL,

        /** Still queued when the shutdown timeout ran out. */
        SHUTDOWN;

        /**
         * Returns the reason as a metric tag value, for example {@code dispatch-queue-full}.
         * @return the tag value
         */
        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

    }

}
