package dev.pgbroadcaster.autoconfigure;

import javax.sql.DataSource;

import dev.pgbroadcaster.BroadcasterHealth;
import dev.pgbroadcaster.BroadcasterMetrics;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.PgBroadcaster;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health and metrics of pg-broadcaster, for applications that have Actuator or Micrometer: a
 * {@code pgBroadcaster} health indicator and {@code pg.broadcaster.*} meters.
 */
@AutoConfiguration(after = PgBroadcasterAutoConfiguration.class)
@ConditionalOnBean(PgBroadcaster.class)
public class PgBroadcasterObservabilityAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class MetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        BroadcasterMetrics pgBroadcasterMetrics(PgBroadcaster broadcaster, BroadcasterStatistics statistics) {
            BroadcasterMetrics metrics = new BroadcasterMetrics(statistics, broadcaster::dispatchQueueSize);
            // Before the broadcaster starts, which is after every bean has been created.
            broadcaster.setObserver(metrics);
            return metrics;
        }

    }

    // Two levels, so that the enabled check, whose condition class comes with Actuator, is only read with Actuator.
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class HealthConfiguration {

        @Configuration(proxyBeanMethods = false)
        @ConditionalOnEnabledHealthIndicator("pgbroadcaster")
        static class EnabledHealthConfiguration {

            @Bean
            @ConditionalOnMissingBean(name = "pgBroadcasterHealthIndicator")
            PgBroadcasterHealthIndicator pgBroadcasterHealthIndicator(PgBroadcaster broadcaster,
                    BroadcasterStatistics statistics, ObjectProvider<DataSource> dataSource) {
                return new PgBroadcasterHealthIndicator(
                        new BroadcasterHealth(broadcaster, statistics, dataSource.getIfUnique()));
            }

        }

    }

}
