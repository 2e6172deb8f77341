package dev.pgbroadcaster.boot4;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterObservabilityAutoConfiguration;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code pgBroadcaster} health indicator on Spring Boot 4, whose health API moved to
 * {@code org.springframework.boot.health}.
 */
class SpringBoot4HealthTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class,
                PgBroadcasterObservabilityAutoConfiguration.class, HealthContributorAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("boot4_health"));

    @Test
    void thePgBroadcasterIndicatorIsABoot4HealthIndicatorAndUp() {
        this.runner.run((context) -> {
            HealthIndicator indicator = context.getBean("pgBroadcasterHealthIndicator", HealthIndicator.class);
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
            assertThat(indicator.health().getDetails()).containsKeys("channels", "connectedSince", "reconnects",
                    "dispatchQueueSize");
        });
    }

    @Test
    void itCanBeSwitchedOffAsActuatorIndicatorsAre() {
        this.runner.withPropertyValues("management.health.pgbroadcaster.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("pgBroadcasterHealthIndicator"));
    }

}
