package dev.pgbroadcaster;

/**
 * A subscriber's registration with a {@link Broadcaster}.
 */
public interface Subscription extends AutoCloseable {

    /**
     * Stops delivery to this subscriber: once this method returns, the callback is not called again, and
     * notifications still queued for it are discarded. If the callback is running on another thread, this
     * method waits for it to return. Calling it again, or from inside the callback, is allowed.
     */
    @Override
    void close();

    /**
     * {@return whether the subscription still receives notifications}
     */
    boolean isActive();

}
