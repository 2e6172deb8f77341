package dev.pgbroadcaster.core;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;

import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.dispatch.LaneThreads;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.InvalidSettingException;

/**
 * Everything a broadcaster is set up with, checked once, here: what it listens on, how it dispatches, how it keeps
 * its connection up, and how long closing may take. A value out of range is refused with an
 * {@link InvalidSettingException} that names the property setting it.
 *
 * @param channels the channels to LISTEN on, at least one, each a valid channel name; duplicates are dropped
 * @param dispatch how notifications are handed to listeners and subscribers
 * @param recovery how the listener connection is kept up
 * @param shutdownTimeout how long closing may spend delivering what is queued
 * @param health when the broadcaster reports itself unhealthy although connected
 */
public record BroadcasterSettings(List<String> channels, Dispatch dispatch, RecoverySettings recovery,
        Duration shutdownTimeout, Health health) {

    public BroadcasterSettings {
        if (channels == null || channels.isEmpty()) {
            throw new InvalidSettingException("pg.broadcaster.channel", "is not set: name the channel to LISTEN on (or "
                    + "list several in pg.broadcaster.channels), or set pg.broadcaster.enabled=false");
        }
        for (int i = 0; i < channels.size(); i++) {
            String problem = Identifiers.problem(channels.get(i));
            if (problem != null) {
                throw new InvalidSettingException("pg.broadcaster.channels", i, "'" + channels.get(i) + "' " + problem);
            }
        }
        channels = List.copyOf(new LinkedHashSet<>(channels));
        if (dispatch == null) {
            dispatch = Dispatch.defaults();
        }
        if (recovery == null) {
            recovery = RecoverySettings.defaults();
        }
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            throw new InvalidSettingException("pg.broadcaster.shutdown-timeout", "must be zero or more");
        }
        if (health == null) {
            health = Health.defaults();
        }
    }

    /**
     * Settings with the default {@link Health}.
     */
    public BroadcasterSettings(List<String> channels, Dispatch dispatch, RecoverySettings recovery,
            Duration shutdownTimeout) {
        this(channels, dispatch, recovery, shutdownTimeout, null);
    }

    /**
     * Returns settings for {@code channels} with every other setting at its default.
     */
    public static BroadcasterSettings of(List<String> channels) {
        return new BroadcasterSettings(channels, Dispatch.defaults(), RecoverySettings.defaults(), Duration.ofSeconds(10));
    }

    /**
     * When the broadcaster reports itself unhealthy, and warns, although its connection is up.
     *
     * @param stuckAfter how long the dispatch queue may stay full with no notification started before the
     * broadcaster is taken for stuck: a listener that does not return
     * @param queueUsageThreshold the fraction, above 0 and at most 1, of the server's notification queue
     * ({@code pg_notification_queue_usage()}) from which it is taken for filling up
     */
    public record Health(Duration stuckAfter, double queueUsageThreshold) {

        public Health {
            if (stuckAfter == null || stuckAfter.toMillis() < 1) {
                throw new InvalidSettingException("pg.broadcaster.health.stuck-after", "must be at least 1ms, but is "
                        + stuckAfter);
            }
            if (!(queueUsageThreshold > 0.0 && queueUsageThreshold <= 1.0)) {
                throw new InvalidSettingException("pg.broadcaster.health.queue-usage-threshold",
                        "must be above 0 and at most 1 (a fraction of the server's notification queue), but is "
                                + queueUsageThreshold);
            }
        }

        /**
         * Returns the defaults: stuck after 30 s, filling up from half the queue.
         */
        public static Health defaults() {
            return new Health(Duration.ofSeconds(30), 0.5);
        }

    }

    /**
     * How notifications are handed to the application.
     *
     * @param threads threads that publish events; 1 keeps the order in which notifications arrived
     * @param queueCapacity notifications that may wait for a dispatch thread
     * @param overflowPolicy what to do when a queue is full
     * @param subscriberQueueCapacity notifications that may wait for each subscriber
     * @param threadKind what kind of threads dispatch and subscribers run on: virtual ones when Spring Boot's are
     * ({@code spring.threads.virtual.enabled=true} on Java 21 and later); the listener thread is a platform thread
     * either way
     */
    public record Dispatch(int threads, int queueCapacity, OverflowPolicy overflowPolicy, int subscriberQueueCapacity,
            LaneThreads threadKind) {

        /**
         * Settings for platform threads.
         */
        public Dispatch(int threads, int queueCapacity, OverflowPolicy overflowPolicy, int subscriberQueueCapacity) {
            this(threads, queueCapacity, overflowPolicy, subscriberQueueCapacity, LaneThreads.PLATFORM);
        }

        public Dispatch {
            if (threadKind == null) {
                threadKind = LaneThreads.PLATFORM;
            }
            requireAtLeastOne("pg.broadcaster.dispatch.threads", threads);
            requireAtLeastOne("pg.broadcaster.dispatch.queue-capacity", queueCapacity);
            requireAtLeastOne("pg.broadcaster.dispatch.subscriber-queue-capacity", subscriberQueueCapacity);
            if (overflowPolicy == null) {
                throw new InvalidSettingException("pg.broadcaster.dispatch.overflow-policy",
                        "must be one of block, drop-newest, drop-oldest");
            }
        }

        /**
         * Returns the defaults: one thread, 10,000 places, {@code block}, 1,000 places per subscriber.
         */
        public static Dispatch defaults() {
            return new Dispatch(1, 10_000, OverflowPolicy.BLOCK, 1_000);
        }

        private static void requireAtLeastOne(String property, int value) {
            if (value < 1) {
                throw new InvalidSettingException(property, "must be at least 1, but is " + value);
            }
        }

    }

}
