package dev.pgbroadcaster;

import java.util.Locale;

/**
 * What to do with a notification when the queue it should enter is full.
 */
public enum OverflowPolicy {

    /**
     * Wait until there is room. Loses nothing, at the cost of holding up whoever fills the queue: the
     * listener for the dispatch queue, the dispatch thread for a subscriber's queue.
     */
    BLOCK,

    /**
     * Discard the notification that does not fit.
     */
    DROP_NEWEST,

    /**
     * Discard the oldest queued notification to make room for the new one.
     */
    DROP_OLDEST;

    /**
     * Returns the policy as it is written in {@code application.yml}, for example {@code drop-newest}.
     */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

}
