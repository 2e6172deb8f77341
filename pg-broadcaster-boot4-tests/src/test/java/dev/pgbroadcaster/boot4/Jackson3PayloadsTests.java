package dev.pgbroadcaster.boot4;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PgNotifier;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.payload.Jackson3Payloads;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On Spring Boot 4 the application's mapper is a Jackson 3 {@code JsonMapper}: typed payloads are read, and
 * {@code PgNotifier} writes, with it.
 */
class Jackson3PayloadsTests {

    private final String channel = TestDatabase.uniqueName("jackson3");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, PgBroadcasterAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + this.channel,
                "pg.broadcaster.payload-types[0].channel=" + this.channel,
                "pg.broadcaster.payload-types[0].type=" + OrderShipped.class.getName())
        .withUserConfiguration(Received.class);

    @Test
    void theApplicationsJsonMapperReadsAndWritesPayloads() {
        this.runner.withUserConfiguration(SnakeCase.class).run((context) -> {
            assertThat(context.getBean(PayloadReader.class)).isInstanceOf(Jackson3Payloads.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            // Written as {"order_id":..,"tracking_code":..} and read back through the same snake_case mapper.
            notifier.send(this.channel, new OrderShipped(3, "TRK-3"));
            assertThat(context.getBean(Received.class).events.poll(10, TimeUnit.SECONDS)).isEqualTo(new OrderShipped(3, "TRK-3"));
            TestDatabase.get().notify(this.channel, "{\"order_id\":4,\"tracking_code\":\"TRK-4\"}");
            assertThat(context.getBean(Received.class).events.poll(10, TimeUnit.SECONDS)).isEqualTo(new OrderShipped(4, "TRK-4"));
        });
    }

    public record OrderShipped(long orderId, String trackingCode) {

    }

    @Configuration(proxyBeanMethods = false)
    static class Received {

        final BlockingQueue<OrderShipped> events = new LinkedBlockingQueue<>();

        @EventListener
        void on(OrderShipped event) {
            this.events.add(event);
        }

        @Bean
        SimpleDriverDataSource dataSource() {
            return new SimpleDriverDataSource(new org.postgresql.Driver(), TestDatabase.get().jdbcUrl(),
                    TestDatabase.get().username(), TestDatabase.get().password());
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class SnakeCase {

        @Bean
        JsonMapper jsonMapper() {
            return JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
        }

    }

}
