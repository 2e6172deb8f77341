package dev.pgbroadcaster.reactive;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterObserver.DropReason;
import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.ReactiveBroadcaster;
import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.NotificationSink;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.reactivestreams.Subscriber;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * The reactive stream: as a sink of the dispatcher it offers each delivered notification to every subscriber whose
 * {@code Flux} takes it, each with its own bounded buffer ({@code pg.broadcaster.dispatch.subscriber-queue-capacity})
 * under the overflow policy, and emitted on the subscriber's own worker. It stops after the broadcaster, which has
 * then delivered what its dispatch queue held, and completes every {@code Flux}.
 */
public final class FluxBroadcaster implements ReactiveBroadcaster, NotificationSink, SmartLifecycle, DisposableBean {

    private static final Log logger = LogFactory.getLog(FluxBroadcaster.class);

    /** How long closing waits for the subscribers' threads to emit what they may and the completions. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final Set<String> channels;

    private final int capacity;

    private final OverflowPolicy policy;

    private final Supplier<? extends BroadcasterObserver> observer;

    private final Scheduler scheduler;

    private final List<BufferedSubscription<?>> subscriptions = new CopyOnWriteArrayList<>();

    private final AtomicInteger numbers = new AtomicInteger();

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final Object lifecycleMonitor = new Object();

    // Takes subscribers from the start, so that a bean may subscribe before the broadcaster runs.
    private boolean accepting = true;

    private boolean running;

    /**
     * @param channels the channels the broadcaster listens on
     * @param capacity how many notifications may wait for each subscriber
     * @param policy what to do when a subscriber's buffer is full
     * @param observer who hears of what is dropped: the broadcaster's observers, asked when something is
     */
    public FluxBroadcaster(List<String> channels, int capacity, OverflowPolicy policy,
            Supplier<? extends BroadcasterObserver> observer) {
        this.channels = Set.copyOf(channels);
        this.capacity = capacity;
        this.policy = policy;
        this.observer = observer;
        this.scheduler = Schedulers.newBoundedElastic(Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE,
                Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE, "pg-broadcaster-reactive", 60, true);
    }

    @Override
    public Flux<Object> events() {
        return flux("every event", FluxBroadcaster::event);
    }

    @Override
    public <T> Flux<T> events(Class<T> type) {
        if (type == null) {
            throw new IllegalArgumentException("The type of the events must not be null");
        }
        return flux("events of " + type.getSimpleName(), (notification) -> {
            Object event = event(notification);
            return type.isInstance(event) ? type.cast(event) : null;
        });
    }

    @Override
    public Flux<RawNotification> notifications(String channel) {
        if (channel == null || !this.channels.contains(channel)) {
            throw new IllegalArgumentException("The broadcaster does not listen on channel "
                    + ((channel != null) ? Identifiers.quote(channel) : "null") + ": it listens on "
                    + this.channels.stream().sorted().toList() + " (pg.broadcaster.channel and pg.broadcaster.channels)");
        }
        String description = "notifications on " + Identifiers.quote(channel);
        return flux(description, (notification) -> notification.channel().equals(channel) ? notification.raw() : null);
    }

    // The event the channel publishes: decoded, or the notification itself on a channel that is not decoded.
    private static Object event(Notification notification) {
        Object decoded = notification.decoded();
        return (decoded != null) ? decoded : notification.raw();
    }

    private <T> Flux<T> flux(String description, Function<Notification, ? extends T> selector) {
        return Flux.from((Subscriber<? super T> subscriber) -> subscribe(subscriber, description, selector));
    }

    private <T> void subscribe(Subscriber<? super T> subscriber, String description,
            Function<Notification, ? extends T> selector) {
        if (subscriber == null) {
            throw new NullPointerException("Rule 1.9: the subscriber must not be null");
        }
        BufferedSubscription<T> subscription = new BufferedSubscription<>(this.numbers.incrementAndGet(), description,
                subscriber, selector, this.capacity, this.policy, this.scheduler.createWorker(), new Owner());
        subscriber.onSubscribe(subscription);
        boolean completed;
        synchronized (this.lifecycleMonitor) {
            completed = !this.accepting;
            if (!completed) {
                this.subscriptions.add(subscription);
            }
        }
        if (completed) {
            // After the broadcaster stopped: nothing will come.
            subscription.complete();
        }
    }

    @Override
    public void delivered(Notification notification) {
        for (BufferedSubscription<?> subscription : this.subscriptions) {
            subscription.offer(notification);
        }
    }

    @Override
    public void connectionEvent(Object event) {
        // The streams carry notifications only; the connection events are application events.
    }

    /**
     * Returns how many subscribers are subscribed.
     */
    public int subscribers() {
        return this.subscriptions.size();
    }

    /**
     * Takes subscribers again after a stop.
     */
    @Override
    public void start() {
        synchronized (this.lifecycleMonitor) {
            this.accepting = true;
            this.running = true;
        }
    }

    /**
     * Completes every {@code Flux}; subscribing from now on gives one that completes at once.
     */
    @Override
    public void stop() {
        List<BufferedSubscription<?>> completing;
        synchronized (this.lifecycleMonitor) {
            this.accepting = false;
            this.running = false;
            completing = new ArrayList<>(this.subscriptions);
        }
        completing.forEach(BufferedSubscription::complete);
        if (!completing.isEmpty()) {
            logger.debug("Completed " + completing.size() + " reactive streams");
        }
    }

    @Override
    public boolean isRunning() {
        synchronized (this.lifecycleMonitor) {
            return this.running;
        }
    }

    /**
     * Returns a phase just below the broadcaster's, so that it stops after the broadcaster has delivered what its
     * dispatch queue held, which keeps coming to the subscribers until then.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1;
    }

    /**
     * Completes every {@code Flux}, if stopping has not, and lets the threads go once they have emitted what they
     * may (a moment at most).
     */
    @Override
    public void destroy() {
        stop();
        try {
            this.scheduler.disposeGracefully().block(STOP_GRACE);
        }
        catch (IllegalStateException ex) {
            // Timed out: a subscriber is still busy in onNext; its thread is a daemon.
            this.scheduler.dispose();
        }
    }

    private final class Owner implements BufferedSubscription.Owner {

        @Override
        public void dropped(BufferedSubscription<?> subscription, String channel) {
            FluxBroadcaster.this.observer.get().dropped(channel, DropReason.SUBSCRIBER_QUEUE_FULL);
            FluxBroadcaster.this.dropWarning.warn(() -> subscription + " requests too slowly: its buffer of "
                    + subscription.capacity() + " (pg.broadcaster.dispatch.subscriber-queue-capacity) is full and a "
                    + "notification was dropped (pg.broadcaster.dispatch.overflow-policy=" + FluxBroadcaster.this.policy
                    + ")", null);
        }

        @Override
        public void undelivered(List<String> channels) {
            BroadcasterObserver observing = FluxBroadcaster.this.observer.get();
            for (String channel : channels) {
                observing.dropped(channel, DropReason.SHUTDOWN);
            }
        }

        @Override
        public void ended(BufferedSubscription<?> subscription) {
            FluxBroadcaster.this.subscriptions.remove(subscription);
        }

    }

    @Override
    public String toString() {
        return "FluxBroadcaster (" + this.subscriptions.size() + " subscribers)";
    }

}
