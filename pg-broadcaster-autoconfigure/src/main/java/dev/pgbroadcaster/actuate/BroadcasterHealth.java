package dev.pgbroadcaster.actuate;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Redaction;

/**
 * What the health of pg-broadcaster is, in terms any health endpoint can show: UP while the listener is
 * connected and LISTENing, DOWN while it is not or while its delivery check found that notifications do not reach
 * it, OUT_OF_SERVICE when the broadcaster is stopped; with details for an operator. Holds no credential, and shows
 * none.
 */
public final class BroadcasterHealth {

    /** How long the notification queue query may take before its detail reports a failure instead. */
    static final int QUERY_TIMEOUT_SECONDS = 1;

    private final PgBroadcaster broadcaster;

    private final BroadcasterStatistics statistics;

    private final DataSource dataSource;

    /**
     * @param broadcaster the broadcaster to report on
     * @param statistics its statistics
     * @param dataSource where to ask for {@code pg_notification_queue_usage()}, or {@code null} to leave it out
     */
    public BroadcasterHealth(PgBroadcaster broadcaster, BroadcasterStatistics statistics, DataSource dataSource) {
        this.broadcaster = broadcaster;
        this.statistics = statistics;
        this.dataSource = dataSource;
    }

    /**
     * Reports the health as it is now.
     */
    public Report report() {
        String status = !this.broadcaster.isRunning() ? "OUT_OF_SERVICE" : this.statistics.receiving() ? "UP" : "DOWN";
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("channels", this.broadcaster.channels());
        putIfKnown(details, "connectedSince", this.statistics.connectedSince());
        if (this.statistics.connected()) {
            details.put("deliveryCheck", describe(this.statistics.deliveryCheck()));
        }
        else if (this.broadcaster.isRunning() && this.statistics.lastConnectionFailure() != null) {
            // Why it is DOWN: the log says it too, but an operator looking at health should not need the log.
            details.put("lastConnectionFailure", this.statistics.lastConnectionFailure());
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
        if (this.dataSource != null) {
            details.put("notificationQueueUsage", notificationQueueUsage());
        }
        return new Report(status, details);
    }

    // The server's queue of notifications not yet read by every listener: when it fills, NOTIFY fails at commit.
    private Object notificationQueueUsage() {
        try (Connection connection = this.dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet result = statement.executeQuery("SELECT pg_notification_queue_usage()")) {
                result.next();
                return result.getDouble(1);
            }
        }
        catch (Exception ex) {
            return "unavailable (" + ex.getClass().getSimpleName() + ": " + Redaction.message(ex) + ")";
        }
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
