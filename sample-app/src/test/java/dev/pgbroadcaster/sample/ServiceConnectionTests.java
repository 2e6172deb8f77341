package dev.pgbroadcaster.sample;

import java.time.Duration;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample with a service connection instead of {@code spring.datasource.*}, as {@link TestSampleApplication}
 * has with Docker, here without Docker: a {@link JdbcConnectionDetails} bean, as {@code @ServiceConnection}
 * defines one, pointing at the test database. The DataSource and the listener both take it.
 */
class ServiceConnectionTests {

    @Test
    void theListenerAndTheDataSourceConnectThroughTheServiceConnection() {
        try (ConfigurableApplicationContext context = SampleApplication.application()
            .sources(ServiceConnection.class, EventProbe.class)
            .run("--sample.embedded-postgres.enabled=false", "--sample.writer.interval=100ms", "--server.port=0")) {
            assertThat(context.getEnvironment().getProperty("spring.datasource.url")).isNull();
            assertThat(context.getBean(ListenerConnectionFactory.class).description()).startsWith(TestDatabase.get().jdbcUrl());
            // The DataSource reaches the same server and database: it sees the listener's session.
            assertThat(context.getBean(JdbcTemplate.class).queryForObject(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg-broadcaster' AND datname = current_database()",
                    Integer.class)).isPositive();
            EventProbe probe = context.getBean(EventProbe.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(probe.eventActionsOnOrders()).contains("INSERT"));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ServiceConnection {

        @Bean
        JdbcConnectionDetails testDatabaseConnectionDetails() {
            return new JdbcConnectionDetails() {

                @Override
                public String getJdbcUrl() {
                    return TestDatabase.get().jdbcUrl();
                }

                @Override
                public String getUsername() {
                    return TestDatabase.get().username();
                }

                @Override
                public String getPassword() {
                    return TestDatabase.get().password();
                }

            };
        }

    }

}
