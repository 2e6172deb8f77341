package dev.pgbroadcaster.boot4;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PgNotifier;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.payload.Jackson3Payloads;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Spring Boot 4 application that leaves the starter's Jackson 2 out: Jackson 3 reads the notifications, the
 * typed payloads and what {@code PgNotifier} writes. Run twice: with Jackson 2 hidden from the application's class
 * loader, and (the surefire execution {@code without-jackson2}) with it off the classpath.
 */
class WithoutJackson2Tests {

    private final String changes = TestDatabase.uniqueName("nojackson2");

    private final String orders = TestDatabase.uniqueName("nojackson2_orders");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withClassLoader(new FilteredClassLoader("com.fasterxml.jackson.databind"))
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channels=" + this.changes + "," + this.orders,
                "pg.broadcaster.payload-types[0].channel=" + this.orders,
                "pg.broadcaster.payload-types[0].type=" + OrderShipped.class.getName())
        .withUserConfiguration(Received.class);

    @Test
    void inTheRunWithoutJackson2ItIsReallyNotOnTheClasspath() {
        // The surefire execution "without-jackson2" runs this class with jackson-databind 2 excluded.
        assumeTrue(Boolean.getBoolean("pg-broadcaster.test.without-jackson2"), "Jackson 2 is on the classpath in this run");
        assertThat(ClassUtils.isPresent("com.fasterxml.jackson.databind.ObjectMapper", null)).isFalse();
    }

    @Test
    void withTheApplicationsJsonMapperNotificationsAndTypedPayloadsArrive() {
        this.runner.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PayloadReader.class)).isInstanceOf(Jackson3Payloads.class);
                receivesNotificationsAndTypedPayloads(context.getBean(Received.class), context.getBean(Broadcaster.class),
                        context.getBean(PgNotifier.class));
            });
    }

    @Test
    void withoutAJsonMapperBeanAJackson3MapperOfItsOwnReadsThem() {
        this.runner.run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(tools.jackson.databind.json.JsonMapper.class);
            assertThat(context.getBean(PayloadReader.class)).isInstanceOf(Jackson3Payloads.class);
            receivesNotificationsAndTypedPayloads(context.getBean(Received.class), context.getBean(Broadcaster.class),
                    context.getBean(PgNotifier.class));
        });
    }

    private void receivesNotificationsAndTypedPayloads(Received received, Broadcaster broadcaster, PgNotifier notifier)
            throws Exception {
        BlockingQueue<ChangeNotification> subscriber = new LinkedBlockingQueue<>();
        broadcaster.subscribe(subscriber::add);
        TestDatabase.get().notify(this.changes, "{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
        ChangeNotification expected = new ChangeNotification("public", "orders", "INSERT");
        assertThat(received.changes.poll(10, TimeUnit.SECONDS)).isEqualTo(expected);
        assertThat(subscriber.poll(10, TimeUnit.SECONDS)).isEqualTo(expected);
        assertThat(expected).hasToString("{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
        notifier.send(this.orders, new OrderShipped(5, "TRK-5"));
        assertThat(received.shipped.poll(10, TimeUnit.SECONDS)).isEqualTo(new OrderShipped(5, "TRK-5"));
    }

    public record OrderShipped(long orderId, String trackingCode) {

    }

    @Configuration(proxyBeanMethods = false)
    static class Received {

        final BlockingQueue<ChangeNotification> changes = new LinkedBlockingQueue<>();

        final BlockingQueue<OrderShipped> shipped = new LinkedBlockingQueue<>();

        @EventListener
        void on(ChangeNotification event) {
            this.changes.add(event);
        }

        @EventListener
        void on(OrderShipped event) {
            this.shipped.add(event);
        }

        @Bean
        SimpleDriverDataSource dataSource() {
            return new SimpleDriverDataSource(new org.postgresql.Driver(), TestDatabase.get().jdbcUrl(),
                    TestDatabase.get().username(), TestDatabase.get().password());
        }

    }

}
