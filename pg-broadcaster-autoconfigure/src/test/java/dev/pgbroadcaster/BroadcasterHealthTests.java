package dev.pgbroadcaster;

import java.util.List;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The health report, whatever Actuator shows it: UP while listening, DOWN while the connection is lost,
 * OUT_OF_SERVICE once stopped, with details and no credential.
 */
class BroadcasterHealthTests {

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("health_test");

    @Test
    void upWhileListeningDownWhileDisconnectedAndUpAgain() {
        application().run((context) -> {
            BroadcasterHealth health = health(context);
            BroadcasterHealth.Report up = health.report();
            assertThat(up.status()).isEqualTo("UP");
            assertThat(up.details()).containsEntry("channels", List.of(this.channel))
                .containsKey("connectedSince")
                .containsEntry("reconnects", 0L)
                .containsEntry("dispatchQueueSize", 0)
                .doesNotContainKey("lastNotificationAt");
            // Read on the listener connection right after it connected.
            await().atMost(Inbox.DEADLINE).until(() -> health.report().details().containsKey("notificationQueueUsage"));
            assertThat((Double) health.report().details().get("notificationQueueUsage")).isBetween(0.0, 1.0);

            send(this.channel, change("orders", "INSERT"));
            send(this.channel, "not json");
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(health.report().details())
                .containsEntry("received", 2L).containsEntry("invalid", 1L).containsKey("lastNotificationAt"));

            ListenerSessions.terminate(this.applicationName);
            await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("DOWN"));
            assertThat(health.report().details()).doesNotContainKey("connectedSince");
            await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("UP"));
            assertThat(health.report().details()).containsEntry("reconnects", 1L);

            context.getBean(PgBroadcaster.class).stop();
            assertThat(health.report().status()).isEqualTo("OUT_OF_SERVICE");
        });
    }

    @Test
    void noDetailHoldsTheUrlsCredentials() {
        application().withPropertyValues("pg.broadcaster.password=s3cret-Health-Pa55",
                "pg.broadcaster.url=" + TestDatabase.get().jdbcUrl() + "?password=s3cret-Health-Pa55")
            .run((context) -> assertThat(health(context).report().toString()).doesNotContain("s3cret"));
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    // Down for two seconds after a loss, long enough to be seen.
                    "pg.broadcaster.reconnect.initial-delay=2s", "pg.broadcaster.reconnect.jitter=0")
            .withUserConfiguration(PgNotifierTests.Database.class);
    }

    private static BroadcasterHealth health(ApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

}
