package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.awaitility.Awaitility;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * Records, as an event listener, when connection events arrive and which numbered notifications arrive, in
 * order.
 */
@Configuration(proxyBeanMethods = false)
class DeliveryRecorder {

    private final List<Long> arrivals = new ArrayList<>();

    private final List<Timed<BroadcasterConnectedEvent>> connected = new ArrayList<>();

    private final List<Timed<BroadcasterDisconnectedEvent>> disconnected = new ArrayList<>();

    private volatile long highest;

    record Timed<T>(long nanos, T event) {

    }

    @EventListener
    synchronized void on(ChangeNotification notification) {
        long number = NumberedSender.number(notification);
        if (number >= 0) {
            this.arrivals.add(number);
            this.highest = Math.max(this.highest, number);
        }
    }

    @EventListener
    synchronized void on(BroadcasterConnectedEvent event) {
        this.connected.add(new Timed<>(System.nanoTime(), event));
    }

    @EventListener
    synchronized void on(BroadcasterDisconnectedEvent event) {
        this.disconnected.add(new Timed<>(System.nanoTime(), event));
    }

    synchronized List<Long> arrivals() {
        return List.copyOf(this.arrivals);
    }

    synchronized List<Timed<BroadcasterConnectedEvent>> connected() {
        return List.copyOf(this.connected);
    }

    synchronized List<Timed<BroadcasterDisconnectedEvent>> disconnected() {
        return List.copyOf(this.disconnected);
    }

    /**
     * Waits until the notification numbered {@code number}, or a later one, has arrived.
     */
    void awaitArrivalOf(long number) {
        // Polled closely: the fault is injected right after, and what is sent meanwhile may be lost.
        Awaitility.await().atMost(Inbox.DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
            .until(() -> this.highest >= number);
    }

    /**
     * Waits for the first connected event that arrives after {@code nanos}.
     */
    Timed<BroadcasterConnectedEvent> awaitConnectedAfter(long nanos) {
        return Awaitility.await().atMost(Inbox.DEADLINE.multipliedBy(2)).until(() -> {
            for (Timed<BroadcasterConnectedEvent> each : connected()) {
                if (each.nanos() - nanos > 0) {
                    return each;
                }
            }
            return null;
        }, (found) -> found != null);
    }

}
