package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;

import dev.pgbroadcaster.StartupFailures;
import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pg.broadcaster.health.*}: the defaults, and how a value out of range stops startup naming the property.
 */
class HealthPropertiesTests {

    private final ApplicationContextRunner configured = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("health_properties"));

    @Test
    void theDefaultsAreTheDocumentedOnesAndEverySettingIsBound() {
        this.configured.run((context) -> assertThat(health(context.getBean(PgBroadcasterProperties.class)))
            .isEqualTo(new BroadcasterSettings.Health(Duration.ofSeconds(30), 0.5))
            .isEqualTo(BroadcasterSettings.Health.defaults()));
        this.configured.withPropertyValues("pg.broadcaster.health.stuck-after=2m",
                "pg.broadcaster.health.queue-usage-threshold=0.05")
            .run((context) -> assertThat(health(context.getBean(PgBroadcasterProperties.class)))
                .isEqualTo(new BroadcasterSettings.Health(Duration.ofMinutes(2), 0.05)));
    }

    @Test
    void valuesOutOfRangeFailStartupNamingTheProperty() {
        assertFailure("pg.broadcaster.health.stuck-after=0ms", "pg.broadcaster.health.stuck-after must be at least 1ms");
        assertFailure("pg.broadcaster.health.stuck-after=-1s", "pg.broadcaster.health.stuck-after must be at least 1ms");
        assertFailure("pg.broadcaster.health.queue-usage-threshold=0",
                "pg.broadcaster.health.queue-usage-threshold must be above 0 and at most 1");
        assertFailure("pg.broadcaster.health.queue-usage-threshold=1.5",
                "pg.broadcaster.health.queue-usage-threshold must be above 0 and at most 1");
        assertFailure("pg.broadcaster.health.queue-usage-threshold=NaN",
                "pg.broadcaster.health.queue-usage-threshold must be above 0 and at most 1");
    }

    private static BroadcasterSettings.Health health(PgBroadcasterProperties properties) {
        return BroadcasterSettingsMapping.settings(properties).health();
    }

    private void assertFailure(String property, String message) {
        this.configured.withPropertyValues(property).run((context) -> {
            Throwable failure = StartupFailures.invalidProperty(context);
            assertThat(failure).as("the startup failure for " + property).hasMessageContaining(message);
            assertThat(((InvalidBroadcasterPropertyException) failure).getProperty())
                .isEqualTo(property.substring(0, property.indexOf('=')));
        });
    }

}
