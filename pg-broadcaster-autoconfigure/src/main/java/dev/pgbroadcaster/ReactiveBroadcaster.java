package dev.pgbroadcaster;

import reactor.core.publisher.Flux;

/**
 * The notifications as Reactor {@link Flux}es, for reactive applications: a bean whenever Reactor
 * ({@code reactor-core}) is on the classpath, beside {@link Broadcaster}.
 * <p>
 * Each {@code Flux} is hot: a subscriber receives what is delivered after it subscribed, on a thread of the
 * broadcaster's own, never on the dispatch thread. Each subscriber has its own buffer of
 * {@code pg.broadcaster.dispatch.subscriber-queue-capacity} notifications, which fills while it requests less than
 * arrives; when it is full {@code pg.broadcaster.dispatch.overflow-policy} applies as it does to a programmatic
 * subscriber's queue: {@code block} makes the dispatch thread wait for the subscriber to request more (holding up
 * the listeners, the other subscribers and, once the dispatch queue is full, the listener), {@code drop-newest}
 * and {@code drop-oldest} drop a notification for that subscriber, counted in
 * {@link BroadcasterStatistics#subscriberDropped()} and logged at most once every ten seconds. Cancelling a
 * subscription frees its buffer at once (and a dispatch thread waiting for room in it). When the broadcaster
 * stops, every {@code Flux} completes: each subscriber still gets what it had requested, and what is buffered
 * beyond that is counted as undelivered.
 */
public interface ReactiveBroadcaster {

    /**
     * Returns every notification delivered, as the event its channel publishes: a {@link ChangeNotification}, the
     * channel's payload type, or, on a channel whose payloads are not decoded ({@code type: raw}), its
     * {@link RawNotification}.
     * @return a hot {@code Flux} that completes when the broadcaster stops
     */
    Flux<Object> events();

    /**
     * Returns the notifications whose event (as {@link #events()} has it) is an instance of {@code type}: every
     * {@link ChangeNotification}, say, or the payloads of the channels typed {@code com.example.OrderShipped}.
     * @param <T> the type of the events
     * @param type the class of the events wanted, a supertype of theirs included
     * @return a hot {@code Flux} that completes when the broadcaster stops
     * @throws IllegalArgumentException if {@code type} is {@code null}
     */
    <T> Flux<T> events(Class<T> type);

    /**
     * Returns every notification delivered on {@code channel}, as PostgreSQL sent it, whatever its payload type.
     * @param channel a channel the broadcaster listens on, as written in {@code pg.broadcaster.channel(s)}
     * @return a hot {@code Flux} that completes when the broadcaster stops
     * @throws IllegalArgumentException if the broadcaster does not listen on {@code channel}
     */
    Flux<RawNotification> notifications(String channel);

}
