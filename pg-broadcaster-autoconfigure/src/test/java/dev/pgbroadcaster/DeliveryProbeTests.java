package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.LoopbackProxy;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Configuration;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Right after LISTEN the listener sends a notification on a private channel from another connection. Where it
 * never arrives (here a proxy that drops notifications, as a pooler in transaction pooling mode effectively does)
 * the listener says so and its health is DOWN; on a direct connection it arrives and nobody but the listener sees
 * it. {@link PgBouncerDeliveryTests} runs the check against a real PgBouncer.
 */
@ExtendWith(OutputCaptureExtension.class)
class DeliveryProbeTests {

    private static final String WARNING = "Notifications do not come back on the listener connection";

    private static final String NOT_RUN = "could not run";

    private final String channel = Broadcasting.channel();

    private final LoopbackProxy proxy = LoopbackProxy.to(TestDatabase.get().jdbcUrl());

    @AfterEach
    void closeProxy() {
        this.proxy.close();
    }

    @Test
    void whenNotificationsDoNotComeBackAWarningNamesTransactionPoolingAndTheProperty(CapturedOutput output) {
        this.proxy.dropNotifications(true);
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(), "pg.broadcaster.liveness.timeout=1s")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains(WARNING));
                String warning = output.getOut().lines().filter((line) -> line.contains(WARNING)).findFirst().orElseThrow();
                assertThat(warning).contains("WARN")
                    .contains("transaction pooling")
                    .contains("PgBouncer")
                    .contains("pg.broadcaster.url")
                    .contains(this.proxy.jdbcUrl().substring(0, this.proxy.jdbcUrl().indexOf('?')));
                // A warning, not a failure: the listener stays connected, but its health says nothing arrives.
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                assertThat(statistics.connected()).isTrue();
                assertThat(statistics.deliveryCheck()).isEqualTo(BroadcasterStatistics.DeliveryCheck.FAILED);
                assertThat(health(context).report().status()).isEqualTo("DOWN");
            });
    }

    @Test
    void aReconnectStartsANewCheck(CapturedOutput output) {
        String applicationName = TestDatabase.uniqueName("probe_test");
        this.proxy.dropNotifications(true);
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(), "pg.broadcaster.liveness.timeout=1s",
                    "pg.broadcaster.application-name=" + applicationName, "pg.broadcaster.reconnect.initial-delay=10ms")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                await().atMost(Inbox.DEADLINE).until(() -> statistics.deliveryCheck() == BroadcasterStatistics.DeliveryCheck.FAILED);
                assertThat(health(context).report().status()).isEqualTo("DOWN");
                this.proxy.dropNotifications(false);
                assertThat(ListenerSessions.terminate(applicationName)).isTrue();
                await().atMost(Inbox.DEADLINE).until(() -> statistics.reconnects() == 1
                        && statistics.deliveryCheck() == BroadcasterStatistics.DeliveryCheck.PASSED);
                assertThat(health(context).report().status()).isEqualTo("UP");
            });
    }

    @Test
    void whenTheProbeCannotBeSentTheCheckDidNotRunAndListeningGoesOn(CapturedOutput output) {
        Broadcasting.application(this.channel)
            .withUserConfiguration(FirstConnectionOnly.class, EventRecorder.class)
            .run((context) -> {
                await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains(NOT_RUN));
                String warning = output.getOut().lines().filter((line) -> line.contains(NOT_RUN)).findFirst().orElseThrow();
                assertThat(warning).contains("WARN").contains("no second connection today").doesNotContain("s3cret");
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                assertThat(statistics.deliveryCheck()).isEqualTo(BroadcasterStatistics.DeliveryCheck.NOT_RUN);
                BroadcasterHealth.Report report = health(context).report();
                assertThat(report.status()).isEqualTo("UP");
                assertThat((String) report.details().get("deliveryCheck")).startsWith("not run");
                EventRecorder events = context.getBean(EventRecorder.class);
                events.nextInOrder(BroadcasterConnectedEvent.class);
                send(this.channel, change("still", "INSERT"));
                assertThat(events.nextInOrder(ChangeNotification.class)).isEqualTo(change("still", "INSERT"));
                assertThat(statistics.connected()).isTrue();
                assertThat(statistics.reconnects()).isZero();
            });
        assertThat(output.getOut()).doesNotContain(WARNING);
    }

    @Test
    void onADirectConnectionTheProbeReachesNoListenerAndNoCounter(CapturedOutput output) {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl())
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder events = context.getBean(EventRecorder.class);
                events.nextInOrder(BroadcasterConnectedEvent.class);
                // The probe went through first, so the listener reads it before what the test sends.
                await().atMost(Inbox.DEADLINE).until(() -> this.proxy.notificationsForwarded() == 1);
                send(this.channel, change("only", "INSERT"));
                assertThat(events.nextInOrder(ChangeNotification.class)).isEqualTo(change("only", "INSERT"));
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                assertThat(statistics.received()).isEqualTo(1);
                assertThat(statistics.invalid()).isZero();
                assertThat(this.proxy.notificationsForwarded()).isEqualTo(2);
                assertThat(events.hasNoMoreInOrder()).isTrue();
                assertThat(statistics.deliveryCheck()).isEqualTo(BroadcasterStatistics.DeliveryCheck.PASSED);
            });
        assertThat(output.getOut()).doesNotContain(WARNING);
    }

    private static BroadcasterHealth health(ApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

    /**
     * Opens the listener connection, and fails every connection after it, as a vault that hands out one lease would.
     */
    @Configuration(proxyBeanMethods = false)
    static class FirstConnectionOnly implements ListenerConnectionFactory {

        private final AtomicInteger connections = new AtomicInteger();

        @Override
        public Connection connect() throws SQLException {
            if (this.connections.incrementAndGet() > 1) {
                throw new SQLException("no second connection today from jdbc:postgresql://db/app?password=s3cret-Probe-Pa55 here");
            }
            return TestDatabase.get().connect();
        }

    }

}
