package dev.pgbroadcaster.actuate;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterStatistics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * pg-broadcaster's Micrometer metrics: per channel, notifications received, delivered, invalid and dropped (with
 * the reason), and the delivery latency; the dispatch queue size, the reconnects, whether the listener is
 * connected with notifications reaching it, and how full the server's notification queue is.
 */
public final class BroadcasterMetrics implements MeterBinder, BroadcasterObserver {

    private static final String PREFIX = "pg.broadcaster.";

    private final BroadcasterStatistics statistics;

    private final IntSupplier dispatchQueueSize;

    private final Map<String, ChannelMeters> channels = new ConcurrentHashMap<>();

    private volatile MeterRegistry registry;

    /**
     * @param statistics the statistics to read the connection state from
     * @param dispatchQueueSize how many notifications wait for a dispatch thread
     */
    public BroadcasterMetrics(BroadcasterStatistics statistics, IntSupplier dispatchQueueSize) {
        this.statistics = statistics;
        this.dispatchQueueSize = dispatchQueueSize;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(PREFIX + "dispatch.queue.size", this.dispatchQueueSize, IntSupplier::getAsInt)
            .description("Notifications waiting for a dispatch thread")
            .baseUnit("notifications")
            .register(registry);
        // 0 too when the delivery check failed: connected behind a transaction pooler, nothing arrives.
        Gauge.builder(PREFIX + "connected", this.statistics, (statistics) -> statistics.receiving() ? 1 : 0)
            .description("Whether the listener connection is up and notifications reach it (1) or not (0)")
            .register(registry);
        // NaN until the listener connection has read it.
        Gauge.builder(PREFIX + "server.notification-queue-usage", this.statistics, BroadcasterMetrics::notificationQueueUsage)
            .description("Fraction, 0 to 1, of the server's notification queue taken by notifications some listening "
                    + "session has not read (pg_notification_queue_usage()); when it is full every NOTIFY fails at commit")
            .register(registry);
        FunctionCounter.builder(PREFIX + "reconnects", this.statistics, BroadcasterStatistics::reconnects)
            .description("Times the listener connection came back after it was lost")
            .register(registry);
        // Zero unless the journal is on.
        FunctionCounter.builder(PREFIX + "journal.replayed", this.statistics, BroadcasterStatistics::replayed)
            .description("Changes the journal replayed after reconnects")
            .baseUnit("notifications")
            .register(registry);
        FunctionCounter.builder(PREFIX + "journal.catch-ups", this.statistics, BroadcasterStatistics::catchUps)
            .description("Periodic reads of the journal for changes no notification brought")
            .register(registry);
        FunctionCounter.builder(PREFIX + "journal.caught-up", this.statistics, BroadcasterStatistics::caughtUp)
            .description("Changes the periodic reads of the journal found that no notification had brought")
            .baseUnit("notifications")
            .register(registry);
        FunctionCounter.builder(PREFIX + "journal.cleaned", this.statistics, BroadcasterStatistics::journalCleaned)
            .description("Journal rows deleted because they were older than the retention")
            .baseUnit("rows")
            .register(registry);
        this.registry = registry;
    }

    private static double notificationQueueUsage(BroadcasterStatistics statistics) {
        BroadcasterStatistics.NotificationQueue queue = statistics.notificationQueue();
        return (queue != null) ? queue.usage() : Double.NaN;
    }

    @Override
    public void received(String channel) {
        ChannelMeters meters = meters(channel);
        if (meters != null) {
            meters.received.increment();
        }
    }

    @Override
    public void invalid(String channel) {
        ChannelMeters meters = meters(channel);
        if (meters != null) {
            meters.invalid.increment();
        }
    }

    @Override
    public void delivered(String channel, long latencyNanos) {
        ChannelMeters meters = meters(channel);
        if (meters != null) {
            meters.delivered.increment();
            meters.latency.record(latencyNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void dropped(String channel, DropReason reason) {
        ChannelMeters meters = meters(channel);
        if (meters != null) {
            meters.dropped.get(reason).increment();
        }
    }

    private ChannelMeters meters(String channel) {
        MeterRegistry current = this.registry;
        if (current == null || channel == null) {
            return null;
        }
        ChannelMeters meters = this.channels.get(channel);
        return (meters != null) ? meters : this.channels.computeIfAbsent(channel, (name) -> new ChannelMeters(current, name));
    }

    /**
     * The meters of one channel, made once so that counting a notification looks nothing up in the registry.
     */
    private static final class ChannelMeters {

        private final Counter received;

        private final Counter delivered;

        private final Counter invalid;

        private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);

        private final Timer latency;

        ChannelMeters(MeterRegistry registry, String channel) {
            this.received = counter(registry, "received", "Notifications read off the listener connection", channel);
            this.delivered = counter(registry, "delivered", "Notifications published to the application's event listeners", channel);
            this.invalid = counter(registry, "invalid", "Notifications dropped because their payload could not be decoded", channel);
            for (DropReason reason : DropReason.values()) {
                this.dropped.put(reason, Counter.builder(PREFIX + "notifications.dropped")
                    .description("Notifications dropped, for a subscriber or altogether")
                    .tag("channel", channel)
                    .tag("reason", reason.tag())
                    .register(registry));
            }
            this.latency = Timer.builder(PREFIX + "delivery.latency")
                .description("Time from reading a notification off the connection to the end of publishing it")
                .tag("channel", channel)
                .register(registry);
        }

        private static Counter counter(MeterRegistry registry, String name, String description, String channel) {
            return Counter.builder(PREFIX + "notifications." + name)
                .description(description)
                .baseUnit("notifications")
                .tag("channel", channel)
                .register(registry);
        }

    }

}
