package dev.pgbroadcaster;

import java.util.Locale;

/**
 * Hears, per channel, what happens to each notification, for metrics. Called on the listener and dispatch
 * threads, so implementations must be quick and thread-safe.
 */
public interface BroadcasterObserver {

    /**
     * An observer that does nothing.
     */
    BroadcasterObserver NONE = new BroadcasterObserver() {
    };

    /**
     * A notification was read off the connection.
     */
    default void received(String channel) {
    }

    /**
     * A notification's payload could not be decoded; it was dropped.
     */
    default void invalid(String channel) {
    }

    /**
     * A notification was published to the application's event listeners.
     * @param latencyNanos from reading it off the connection to the end of publishing
     */
    default void delivered(String channel, long latencyNanos) {
    }

    /**
     * A notification was dropped: for a subscriber only, or altogether.
     */
    default void dropped(String channel, DropReason reason) {
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
         */
        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

    }

}
