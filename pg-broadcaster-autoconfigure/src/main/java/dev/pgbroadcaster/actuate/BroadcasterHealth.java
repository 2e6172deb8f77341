package dev.pgbroadcaster.actuate;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.support.DurationText;

/**
 * What the health of pg-broadcaster is, in terms any health endpoint can show: UP while the listener is
 * connected and LISTENing; DOWN while it is not, while its delivery check found that notifications do not reach it,
 * while it is stuck (its dispatch queue full for {@code pg.broadcaster.health.stuck-after} with no notification
 * started: a listener that does not return), and while the server's notification queue is filled at or above
 * {@code pg.broadcaster.health.queue-usage-threshold}; OUT_OF_SERVICE when the broadcaster is stopped; with details
 * for an operator, which say why it is DOWN. Holds no credential, and shows none.
 */
public final class BroadcasterHealth {

    private final PgBroadcaster broadcaster;

    private final BroadcasterStatistics statistics;

    private final Supplier<Map<String, Object>> moreDetails;

    /**
     * @param broadcaster the broadcaster to report on
     * @param statistics its statistics
     */
    public BroadcasterHealth(PgBroadcaster broadcaster, BroadcasterStatistics statistics) {
        this(broadcaster, statistics, Map::of);
    }

    /**
     * @param broadcaster the broadcaster to report on
     * @param statistics its statistics
     * @param moreDetails details of the features that are on (the event stream's), added last
     */
    public BroadcasterHealth(PgBroadcaster broadcaster, BroadcasterStatistics statistics,
            Supplier<Map<String, Object>> moreDetails) {
        this.broadcaster = broadcaster;
        this.statistics = statistics;
        this.moreDetails = moreDetails;
    }

    /**
     * Reports the health as it is now.
     */
    public Report report() {
        boolean running = this.broadcaster.isRunning();
        String stuck = running ? this.broadcaster.stuck() : null;
        String filling = running ? this.broadcaster.notificationQueueFilling() : null;
        String status = !running ? "OUT_OF_SERVICE"
                : (this.statistics.receiving() && stuck == null && filling == null) ? "UP" : "DOWN";
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("channels", this.broadcaster.channels());
        putIfKnown(details, "connectedSince", this.statistics.connectedSince());
        if (this.statistics.connected()) {
            details.put("deliveryCheck", describe(this.statistics.deliveryCheck()));
        }
        else if (running && this.statistics.lastConnectionFailure() != null) {
            // Why it is DOWN: the log says it too, but an operator looking at health should not need the log.
            details.put("lastConnectionFailure", this.statistics.lastConnectionFailure());
        }
        if (stuck != null) {
            details.put("stuck", stuck);
        }
        details.put("reconnects", this.statistics.reconnects());
        putIfKnown(details, "lastNotificationAt", this.statistics.lastNotificationAt());
        details.put("dispatchQueueSize", this.broadcaster.dispatchQueueSize());
        details.put("received", this.statistics.received());
        details.put("invalid", this.statistics.invalid());
        details.put("dropped", this.statistics.dropped() + this.statistics.subscriberDropped());
        BroadcasterStatistics.Journal journal = this.statistics.journal();
        if (journal != null) {
            details.put("journal", journalDetails(journal));
        }
        BroadcasterStatistics.NotificationQueue queue = this.statistics.notificationQueue();
        if (queue != null) {
            details.put("notificationQueueUsage", queue.usage());
            details.put("notificationQueueReadAt", queue.readAt().toString());
        }
        if (filling != null) {
            details.put("notificationQueue", filling);
        }
        details.putAll(this.moreDetails.get());
        return new Report(status, details);
    }

    private Map<String, Object> journalDetails(BroadcasterStatistics.Journal journal) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("horizonAge", DurationText.of(journal.horizonAge()));
        details.put("rowsBehind", journal.rowsBehind());
        Map<String, Object> lastReplay = new LinkedHashMap<>();
        lastReplay.put("at", journal.lastReplayAt().toString());
        lastReplay.put("rows", journal.lastReplayRows());
        lastReplay.put("complete", journal.lastReplayComplete());
        details.put("lastReplay", lastReplay);
        details.put("replayed", this.statistics.replayed());
        details.put("caughtUp", this.statistics.caughtUp());
        return details;
    }

    private static String describe(BroadcasterStatistics.DeliveryCheck deliveryCheck) {
        return switch (deliveryCheck) {
            case PENDING -> "pending: a notification sent to the listener from another connection has not arrived yet";
            case PASSED -> "passed: a notification sent from another connection reached the listener";
            case FAILED -> "failed: a notification sent to the listener from another connection did not arrive within "
                    + "pg.broadcaster.liveness.timeout, so no notification reaches it. The likely cause is a connection "
                    + "pooler in transaction pooling mode (PgBouncer with pool_mode=transaction). Point "
                    + "pg.broadcaster.url at PostgreSQL directly or at a pool in session mode.";
            case NOT_RUN -> "not run: the listener could not send itself a notification from another connection (see "
                    + "the log), so whether notifications reach it is not known";
        };
    }

    private static void putIfKnown(Map<String, Object> details, String name, Instant instant) {
        if (instant != null) {
            details.put(name, instant.toString());
        }
    }

    /**
     * A health status ({@code UP}, {@code DOWN} or {@code OUT_OF_SERVICE}) and its details.
     *
     * @param status the status code
     * @param details what an operator wants to see
     */
    public record Report(String status, Map<String, Object> details) {

    }

}
