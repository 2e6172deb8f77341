package dev.pgbroadcaster;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * Collects, in the order they are published, the connection events and the notifications.
 */
@Configuration(proxyBeanMethods = false)
class ConnectionEventCollector {

    final Inbox<Object> events = new Inbox<>();

    @EventListener
    void on(BroadcasterConnectedEvent event) {
        this.events.add(event);
    }

    @EventListener
    void on(BroadcasterDisconnectedEvent event) {
        this.events.add(event);
    }

    @EventListener
    void on(ChangeNotification notification) {
        this.events.add(notification);
    }

    <T> T next(Class<T> type) {
        Object next = this.events.next();
        if (!type.isInstance(next)) {
            throw new AssertionError("Expected a " + type.getSimpleName() + " but got " + next);
        }
        return type.cast(next);
    }

}
