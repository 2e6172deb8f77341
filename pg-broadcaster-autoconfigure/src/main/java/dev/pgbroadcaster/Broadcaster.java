package dev.pgbroadcaster;

import java.util.function.Consumer;

/**
 * Hands every decoded notification to programmatic subscribers, in addition to the application events that
 * {@code @EventListener} methods receive.
 */
public interface Broadcaster {

    /**
     * Adds a subscriber that receives every notification until the returned subscription is closed or the
     * broadcaster stops. Each subscriber has its own bounded queue and thread, so a slow one does not hold up
     * the others until its queue is full; what happens then follows
     * {@code pg.broadcaster.dispatch.overflow-policy}. An exception thrown by the callback is logged and the
     * next notification is delivered as usual.
     * @param callback receives each notification, on the subscriber's own thread
     * @return the subscription, to be closed when no more notifications are wanted
     * @throws IllegalArgumentException if {@code callback} is {@code null}
     * @throws IllegalStateException if the broadcaster has been stopped
     */
    Subscription subscribe(Consumer<ChangeNotification> callback);

}
