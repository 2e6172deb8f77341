package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterObservabilityAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server's notification queue filled for real: another session LISTENs and then reads nothing (it sits in an
 * open transaction, where a session takes no notification), and large notifications pile up behind it until
 * {@code pg_notification_queue_usage()}, which the listener connection reads, passes a tiny threshold. Health is DOWN
 * saying why, a warning says what to look for, the gauge shows the usage, and all of it ends once that session does.
 */
@ExtendWith(OutputCaptureExtension.class)
class NotificationQueueUsageTests {

    private static final double THRESHOLD = 0.0001;

    /** The longest payload NOTIFY takes. */
    private static final String LARGE_PAYLOAD = "x".repeat(7999);

    /** More than enough to pass the threshold: 0.0001 of an 8 GB queue is about 100 notifications of 8 kB. */
    private static final int MOST_SENT = 5000;

    private final String channel = Broadcasting.channel();

    private final String hogChannel = TestDatabase.uniqueName("unread");

    private int sent;

    private Duration toDown;

    @Test
    void aSessionThatStopsReadingTurnsHealthDownOnceTheUsagePassesTheThresholdAndUpOnceItEnds(CapturedOutput output) {
        Broadcasting.application(this.channel)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterObservabilityAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class)
            .withPropertyValues("pg.broadcaster.health.queue-usage-threshold=" + THRESHOLD,
                    // How often the listener connection reads the usage.
                    "pg.broadcaster.liveness.interval=100ms")
            .run((context) -> {
                BroadcasterHealth health = new BroadcasterHealth(context.getBean(PgBroadcaster.class),
                        context.getBean(BroadcasterStatistics.class));
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                context.getBean(BroadcasterMetrics.class).bindTo(registry);
                await().atMost(Inbox.DEADLINE).until(() -> health.report().details().containsKey("notificationQueueUsage"));
                assertThat(health.report().status()).isEqualTo("UP");
                assertThat(usage()).isLessThan(THRESHOLD);
                try (Connection hog = TestDatabase.get().connect()) {
                    try (Statement statement = hog.createStatement()) {
                        statement.execute("LISTEN \"" + this.hogChannel + "\"");
                    }
                    hog.setAutoCommit(false);
                    try (Statement statement = hog.createStatement()) {
                        statement.execute("SELECT 1");
                    }
                    int sent = fillUntilUsagePasses(THRESHOLD);
                    long passed = System.nanoTime();
                    await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("DOWN"));
                    this.toDown = Duration.ofNanos(System.nanoTime() - passed);
                    this.sent = sent;
                    BroadcasterHealth.Report down = health.report();
                    assertThat((Double) down.details().get("notificationQueueUsage")).isGreaterThanOrEqualTo(THRESHOLD);
                    assertThat((String) down.details().get("notificationQueue"))
                        .startsWith("The server's notification queue is ")
                        .contains("at or above pg.broadcaster.health.queue-usage-threshold=0.0001")
                        .contains("every NOTIFY on the server fails at commit");
                    assertThat(down.details()).doesNotContainKey("stuck").containsKey("connectedSince");
                    assertThat(registry.get("pg.broadcaster.server.notification-queue-usage").gauge().value())
                        .isGreaterThanOrEqualTo(THRESHOLD);
                    await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains("The server's notification queue is "));
                    assertThat(output.getOut()).contains("Look in pg_stat_activity for a session that LISTENs");
                    assertThat(sent).isLessThan(MOST_SENT);
                    hog.rollback();
                }
                long ended = System.nanoTime();
                // The session has ended; the next notifications let the server move the queue's tail past it.
                await().atMost(Inbox.DEADLINE).untilAsserted(() -> {
                    TestDatabase.get().notify(this.hogChannel, LARGE_PAYLOAD);
                    assertThat(health.report().status()).isEqualTo("UP");
                });
                Duration toUp = Duration.ofNanos(System.nanoTime() - ended);
                assertThat(health.report().details()).doesNotContainKey("notificationQueue");
                FaultScenario.in(context).record(15, "Another session LISTENs and stops reading (it sits in an open "
                        + "transaction) while 7,999-byte notifications fill the server's queue; "
                        + "`health.queue-usage-threshold` 0.0001, `liveness.interval` 100 ms", "the other session ending",
                        1, 1, List.of(toUp), 0, 0, 0, 0,
                        this.sent + " notifications on a channel only that session listened to filled it; the listener "
                                + "kept reading, and health was DOWN " + this.toDown.toMillis() + " ms after "
                                + "`pg_notification_queue_usage()` passed the threshold, with a warning saying where to "
                                + "look; UP once the session ended and the queue's tail moved past it");
                await().atMost(Inbox.DEADLINE).until(() -> output.getOut()
                    .contains("The server's notification queue is below pg.broadcaster.health.queue-usage-threshold again"));
            });
    }

    /**
     * Sends large notifications, a hundred per transaction, until the usage passes {@code threshold}.
     * @return how many it sent
     */
    private int fillUntilUsagePasses(double threshold) throws SQLException {
        int sent = 0;
        try (Connection sender = TestDatabase.get().connect();
                PreparedStatement notify = sender.prepareStatement("SELECT pg_notify(?, ?)")) {
            sender.setAutoCommit(false);
            while (usage() < threshold && sent < MOST_SENT) {
                for (int i = 0; i < 100; i++) {
                    notify.setString(1, this.hogChannel);
                    notify.setString(2, sent + LARGE_PAYLOAD.substring(Integer.toString(sent).length()));
                    notify.execute();
                    sent++;
                }
                sender.commit();
            }
        }
        return sent;
    }

    private static double usage() throws SQLException {
        try (Connection connection = TestDatabase.get().connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT pg_notification_queue_usage()")) {
            result.next();
            return result.getDouble(1);
        }
    }

}
