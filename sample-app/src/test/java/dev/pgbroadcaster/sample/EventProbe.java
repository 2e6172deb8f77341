package dev.pgbroadcaster.sample;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.Subscription;
import jakarta.annotation.PreDestroy;

import org.springframework.context.event.EventListener;

/**
 * Added to the sample as an extra source: records what reaches an event listener and a subscriber.
 * Not a {@code @Component}, so the sample's component scan does not pick it up on its own.
 */
class EventProbe {

    private final Queue<ChangeNotification> events = new ConcurrentLinkedQueue<>();

    private final Queue<ChangeNotification> subscribed = new ConcurrentLinkedQueue<>();

    private final Queue<OrderShipped> shipped = new ConcurrentLinkedQueue<>();

    private final Subscription subscription;

    EventProbe(Broadcaster broadcaster) {
        this.subscription = broadcaster.subscribe(this.subscribed::add);
    }

    @EventListener
    void on(ChangeNotification change) {
        this.events.add(change);
    }

    @EventListener
    void on(OrderShipped event) {
        this.shipped.add(event);
    }

    @PreDestroy
    void unsubscribe() {
        this.subscription.close();
    }

    List<String> eventActionsOnOrders() {
        return actionsOnOrders(this.events);
    }

    List<OrderShipped> shipped() {
        return List.copyOf(this.shipped);
    }

    List<String> subscribedActionsOnOrders() {
        return actionsOnOrders(this.subscribed);
    }

    private static List<String> actionsOnOrders(Queue<ChangeNotification> changes) {
        return changes.stream()
            .filter((change) -> "public".equals(change.schema()) && "orders".equals(change.table()))
            .map(ChangeNotification::action)
            .toList();
    }

}
