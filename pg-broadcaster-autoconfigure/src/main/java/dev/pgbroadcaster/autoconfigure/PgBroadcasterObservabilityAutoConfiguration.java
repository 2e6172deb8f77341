package dev.pgbroadcaster.autoconfigure;

import java.util.Map;
import java.util.function.Supplier;

import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.web.EventStreamHub;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health and metrics of pg-broadcaster, for applications that have Actuator or Micrometer: a
 * {@code pgBroadcaster} health indicator, for Spring Boot 3's health API or Boot 4's, and {@code pg.broadcaster.*}
 * meters.
 */
@AutoConfiguration(after = PgBroadcasterAutoConfiguration.class)
@ConditionalOnBean(PgBroadcaster.class)
public class PgBroadcasterObservabilityAutoConfiguration {

    private static final String HEALTH_INDICATOR = "pgBroadcasterHealthIndicator";

    // The event stream's details, only when its endpoint is on; looked up at each report, its configuration coming later.
    private static Supplier<Map<String, Object>> webDetails(ObjectProvider<EventStreamHub> eventStream) {
        return () -> {
            EventStreamHub hub = eventStream.getIfAvailable();
            return (hub != null) ? hub.healthDetails() : Map.of();
        };
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class MetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        BroadcasterMetrics pgBroadcasterMetrics(PgBroadcaster broadcaster, BroadcasterStatistics statistics) {
            // The broadcaster finds it among the BroadcasterObserver beans when it starts.
            return new BroadcasterMetrics(statistics, broadcaster::dispatchQueueSize);
        }

    }

    // Two levels, so that the enabled check, whose condition class comes with Actuator, is only read with Actuator.
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Boot3HealthConfiguration {

        @Configuration(proxyBeanMethods = false)
        @org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator("pgbroadcaster")
        static class EnabledHealthConfiguration {

            @Bean
            @ConditionalOnMissingBean(name = HEALTH_INDICATOR)
            PgBroadcasterHealthIndicator pgBroadcasterHealthIndicator(PgBroadcaster broadcaster,
                    BroadcasterStatistics statistics, ObjectProvider<EventStreamHub> eventStream) {
                return new PgBroadcasterHealthIndicator(new BroadcasterHealth(broadcaster, statistics, webDetails(eventStream)));
            }

        }

    }

    // Spring Boot 4 moved the health API to org.springframework.boot.health.
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    static class Boot4HealthConfiguration {

        @Configuration(proxyBeanMethods = false)
        @org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator("pgbroadcaster")
        static class EnabledHealthConfiguration {

            @Bean
            @ConditionalOnMissingBean(name = HEALTH_INDICATOR)
            PgBroadcasterBoot4HealthIndicator pgBroadcasterHealthIndicator(PgBroadcaster broadcaster,
                    BroadcasterStatistics statistics, ObjectProvider<EventStreamHub> eventStream) {
                return new PgBroadcasterBoot4HealthIndicator(new BroadcasterHealth(broadcaster, statistics, webDetails(eventStream)));
            }

        }

    }

}
