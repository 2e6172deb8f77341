package dev.pgbroadcaster;

import dev.pgbroadcaster.testsupport.LoopbackProxy;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Right after LISTEN the listener sends itself a notification on a private channel. Behind a pooler in
 * transaction pooling mode it never comes back, and the listener says so; on a direct connection it comes back
 * and nobody but the listener sees it.
 */
@ExtendWith(OutputCaptureExtension.class)
class DeliveryProbeTests {

    private static final String WARNING = "Notifications do not come back on the listener connection";

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
                // A warning, not a failure: the listener stays connected.
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isTrue();
            });
    }

    @Test
    void onADirectConnectionTheProbeReachesNoListenerAndNoCounter(CapturedOutput output) {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl())
            .withUserConfiguration(ConnectionEventCollector.class)
            .run((context) -> {
                ConnectionEventCollector collector = context.getBean(ConnectionEventCollector.class);
                collector.next(BroadcasterConnectedEvent.class);
                // The probe went through first, so the listener reads it before what the test sends.
                await().atMost(Inbox.DEADLINE).until(() -> this.proxy.notificationsForwarded() == 1);
                send(this.channel, change("only", "INSERT"));
                assertThat(collector.next(ChangeNotification.class)).isEqualTo(change("only", "INSERT"));
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                assertThat(statistics.received()).isEqualTo(1);
                assertThat(statistics.invalid()).isZero();
                assertThat(this.proxy.notificationsForwarded()).isEqualTo(2);
                assertThat(collector.events.isEmpty()).isTrue();
            });
        assertThat(output.getOut()).doesNotContain(WARNING);
    }

}
