package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;

import dev.pgbroadcaster.StartupFailures;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pg.broadcaster.fail-fast}, {@code reconnect.*} and {@code liveness.*}: their defaults, and how a value out
 * of range stops startup naming the property.
 */
class RecoveryPropertiesTests {

    private final ApplicationContextRunner configured = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("recovery"));

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        this.configured.run((context) -> {
            RecoverySettings settings = BroadcasterSettingsMapping.settings(context.getBean(PgBroadcasterProperties.class)).recovery();
            assertThat(settings).isEqualTo(RecoverySettings.defaults());
            assertThat(settings.failFast()).isFalse();
            assertThat(settings.initialDelay()).isEqualTo(Duration.ofMillis(500));
            assertThat(settings.maxDelay()).isEqualTo(Duration.ofSeconds(30));
            assertThat(settings.multiplier()).isEqualTo(2.0);
            assertThat(settings.jitter()).isEqualTo(0.5);
            assertThat(settings.maxAttempts()).isNull();
            assertThat(settings.deadConnectionBound()).isEqualTo(Duration.ofSeconds(20));
        });
    }

    @Test
    void everySettingIsBound() {
        this.configured.withPropertyValues("pg.broadcaster.fail-fast=true", "pg.broadcaster.reconnect.initial-delay=1s",
                "pg.broadcaster.reconnect.max-delay=1m", "pg.broadcaster.reconnect.multiplier=1.5",
                "pg.broadcaster.reconnect.jitter=0", "pg.broadcaster.reconnect.max-attempts=7",
                "pg.broadcaster.liveness.interval=2m", "pg.broadcaster.liveness.timeout=3s")
            .run((context) -> {
                assertThat(context).hasSingleBean(PgBroadcaster.class);
                assertThat(BroadcasterSettingsMapping.settings(context.getBean(PgBroadcasterProperties.class)).recovery())
                    .isEqualTo(new RecoverySettings(true, Duration.ofSeconds(1), Duration.ofMinutes(1), 1.5, 0.0, 7,
                            Duration.ofMinutes(2), Duration.ofSeconds(3)));
            });
    }

    @Test
    void valuesOutOfRangeFailStartupNamingTheProperty() {
        assertFailure("pg.broadcaster.reconnect.initial-delay=0ms", "pg.broadcaster.reconnect.initial-delay must be at least 1ms");
        assertFailure("pg.broadcaster.reconnect.initial-delay=-1s", "pg.broadcaster.reconnect.initial-delay must be at least 1ms");
        assertFailure("pg.broadcaster.reconnect.max-delay=100ms",
                "pg.broadcaster.reconnect.max-delay must not be shorter than pg.broadcaster.reconnect.initial-delay");
        assertFailure("pg.broadcaster.reconnect.multiplier=0.5", "pg.broadcaster.reconnect.multiplier must be at least 1");
        assertFailure("pg.broadcaster.reconnect.multiplier=NaN", "pg.broadcaster.reconnect.multiplier must be at least 1");
        assertFailure("pg.broadcaster.reconnect.jitter=1.5", "pg.broadcaster.reconnect.jitter must be between 0 and 1");
        assertFailure("pg.broadcaster.reconnect.jitter=-0.1", "pg.broadcaster.reconnect.jitter must be between 0 and 1");
        assertFailure("pg.broadcaster.reconnect.max-attempts=0", "pg.broadcaster.reconnect.max-attempts must be at least 1");
        assertFailure("pg.broadcaster.liveness.interval=0s", "pg.broadcaster.liveness.interval must be at least 1ms");
        assertFailure("pg.broadcaster.liveness.timeout=0s", "pg.broadcaster.liveness.timeout must be at least 1ms");
        assertFailure("pg.broadcaster.liveness.timeout=1000d", "pg.broadcaster.liveness.timeout must be at most");
    }

    private void assertFailure(String property, String message) {
        this.configured.withPropertyValues(property).run((context) -> {
            Throwable failure = StartupFailures.invalidProperty(context);
            assertThat(failure).as("the startup failure for " + property).hasMessageContaining(message);
            assertThat(((InvalidBroadcasterPropertyException) failure).getProperty()).isEqualTo(property.substring(0, property.indexOf('=')));
        });
    }

}
