package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code pgBroadcaster} health indicator on Spring Boot 3's Actuator (the Boot 4 one is tested in the Boot 4
 * test module), and the starter without Actuator.
 */
class ActuatorHealthTests {

    private final ApplicationContextRunner withoutActuator = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class,
                PgBroadcasterObservabilityAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("health"));

    private final ApplicationContextRunner runner = this.withoutActuator
        .withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class));

    @Test
    void thePgBroadcasterIndicatorIsUpWithDetails() {
        this.runner.run((context) -> {
            assertThat(context).hasBean("pgBroadcasterHealthIndicator");
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

    @Test
    void withoutActuatorTheStarterStartsWithoutAnIndicator() {
        this.withoutActuator.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(Broadcaster.class)
                .doesNotHaveBean("pgBroadcasterHealthIndicator"));
    }

}
