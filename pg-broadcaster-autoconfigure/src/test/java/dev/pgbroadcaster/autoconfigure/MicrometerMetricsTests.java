package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.testsupport.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code pg.broadcaster.*} meters, bound to a registry as Spring Boot binds every {@code MeterBinder}, and
 * the starter without Micrometer.
 */
class MicrometerMetricsTests {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final String orders = TestDatabase.uniqueName("metrics_orders");

    private final String invoices = TestDatabase.uniqueName("metrics_invoices");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class,
                PgBroadcasterObservabilityAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + this.orders, "pg.broadcaster.channels[0]=" + this.invoices)
        .withBean(SimpleMeterRegistry.class);

    @Test
    void notificationsAreCountedPerChannelAndTheirLatencyTimed() {
        this.runner.run((context) -> {
            MeterRegistry registry = bound(context);
            send(this.orders, new ChangeNotification("public", "orders", "INSERT").toString());
            send(this.orders, new ChangeNotification("public", "orders", "UPDATE").toString());
            send(this.orders, "not json");
            send(this.invoices, new ChangeNotification("public", "invoices", "INSERT").toString());
            await().atMost(DEADLINE).untilAsserted(() -> {
                assertThat(count(registry, "pg.broadcaster.notifications.received", this.orders)).isEqualTo(3);
                assertThat(count(registry, "pg.broadcaster.notifications.invalid", this.orders)).isEqualTo(1);
                assertThat(count(registry, "pg.broadcaster.notifications.delivered", this.orders)).isEqualTo(2);
                assertThat(count(registry, "pg.broadcaster.notifications.received", this.invoices)).isEqualTo(1);
                assertThat(count(registry, "pg.broadcaster.notifications.delivered", this.invoices)).isEqualTo(1);
            });
            assertThat(registry.get("pg.broadcaster.delivery.latency").tag("channel", this.orders).timer().count()).isEqualTo(2);
            assertThat(registry.get("pg.broadcaster.connected").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("pg.broadcaster.reconnects").functionCounter().count()).isZero();
            assertThat(registry.get("pg.broadcaster.dispatch.queue.size").gauge().value()).isZero();
        });
    }

    @Test
    void dropsAreCountedPerChannelAndReason() {
        this.runner.withPropertyValues("pg.broadcaster.dispatch.subscriber-queue-capacity=1",
                "pg.broadcaster.dispatch.overflow-policy=drop-newest")
            .run((context) -> {
                MeterRegistry registry = bound(context);
                java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
                context.getBean(Broadcaster.class).subscribe((change) -> {
                    entered.countDown();
                    try {
                        release.await();
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                });
                send(this.orders, new ChangeNotification("public", "t0", "INSERT").toString());
                entered.await();
                // One in hand, one queued, and the next three dropped.
                for (int i = 1; i <= 4; i++) {
                    send(this.orders, new ChangeNotification("public", "t" + i, "INSERT").toString());
                }
                await().atMost(DEADLINE).untilAsserted(() -> assertThat(registry.get("pg.broadcaster.notifications.dropped")
                    .tag("channel", this.orders)
                    .tag("reason", "subscriber-queue-full")
                    .counter()
                    .count()).isEqualTo(3));
                assertThat(registry.get("pg.broadcaster.notifications.dropped").tag("channel", this.orders)
                    .tag("reason", "dispatch-queue-full").counter().count()).isZero();
                release.countDown();
            });
    }

    @Test
    void aBroadcasterMetricsBeanOfTheApplicationsOwnCountsPerChannel() {
        this.runner.withUserConfiguration(OwnMetrics.class).run((context) -> {
            assertThat(context).getBean(BroadcasterMetrics.class).isSameAs(context.getBean(OwnMetrics.class).metrics);
            MeterRegistry registry = bound(context);
            send(this.orders, new ChangeNotification("public", "orders", "INSERT").toString());
            await().atMost(DEADLINE).untilAsserted(() -> {
                assertThat(count(registry, "pg.broadcaster.notifications.received", this.orders)).isEqualTo(1);
                assertThat(count(registry, "pg.broadcaster.notifications.delivered", this.orders)).isEqualTo(1);
            });
        });
    }

    @Test
    void theApplicationsOwnObserversAreCalledInTheirOrderBesideTheMetrics() {
        this.runner.withUserConfiguration(OwnObservers.class).run((context) -> {
            MeterRegistry registry = bound(context);
            OwnObservers observers = context.getBean(OwnObservers.class);
            await().atMost(DEADLINE).until(() -> observers.calls.contains("first: connected"));
            send(this.orders, new ChangeNotification("public", "orders", "INSERT").toString());
            await().atMost(DEADLINE).until(() -> observers.calls.contains("second: delivered " + this.orders));
            assertThat(observers.calls).containsSubsequence("first: connected", "second: connected",
                    "first: received " + this.orders, "second: received " + this.orders,
                    "first: delivered " + this.orders, "second: delivered " + this.orders);
            assertThat(count(registry, "pg.broadcaster.notifications.delivered", this.orders)).isEqualTo(1);
        });
    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class OwnMetrics {

        final BroadcasterMetrics metrics = new BroadcasterMetrics(new dev.pgbroadcaster.BroadcasterStatistics(), () -> 0);

        @org.springframework.context.annotation.Bean
        BroadcasterMetrics ownMetrics() {
            return this.metrics;
        }

    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class OwnObservers {

        final java.util.List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

        @org.springframework.context.annotation.Bean
        @org.springframework.core.annotation.Order(2)
        dev.pgbroadcaster.BroadcasterObserver second() {
            return recording("second");
        }

        @org.springframework.context.annotation.Bean
        @org.springframework.core.annotation.Order(1)
        dev.pgbroadcaster.BroadcasterObserver first() {
            return recording("first");
        }

        private dev.pgbroadcaster.BroadcasterObserver recording(String name) {
            return new dev.pgbroadcaster.BroadcasterObserver() {

                @Override
                public void connected(boolean reconnect) {
                    OwnObservers.this.calls.add(name + ": connected");
                }

                @Override
                public void received(String channel) {
                    OwnObservers.this.calls.add(name + ": received " + channel);
                }

                @Override
                public void delivered(String channel, long latencyNanos) {
                    OwnObservers.this.calls.add(name + ": delivered " + channel);
                }

            };
        }

    }

    @Test
    void withoutMicrometerTheStarterStartsWithoutMetrics() {
        this.runner.withClassLoader(new FilteredClassLoader("io.micrometer"))
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(Broadcaster.class)
                .doesNotHaveBean(BroadcasterMetrics.class));
    }

    // Spring Boot's metrics auto-configuration binds every MeterBinder bean to the registries; this does the same.
    private static MeterRegistry bound(AssertableApplicationContext context) {
        MeterRegistry registry = context.getBean(MeterRegistry.class);
        context.getBean(BroadcasterMetrics.class).bindTo(registry);
        return registry;
    }

    private static double count(MeterRegistry registry, String name, String channel) {
        return registry.get(name).tag("channel", channel).counter().count();
    }

    private static void send(String channel, String payload) {
        try {
            TestDatabase.get().notify(channel, payload);
        }
        catch (java.sql.SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
