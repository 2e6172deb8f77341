package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.EventStreamAuthorization;
import dev.pgbroadcaster.actuate.EventStreamMetrics;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.web.EventStreamHub;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The event stream's hub, a sink of the broadcaster, and its metrics, whichever web framework serves its endpoint:
 * imported by the Spring MVC and the WebFlux auto-configurations, of which one applies.
 */
@Configuration(proxyBeanMethods = false)
class EventStreamHubConfiguration {

    // Built on the broadcaster, so that it starts after it and stops (ending every stream) before it.
    @Bean
    @ConditionalOnMissingBean
    EventStreamHub pgBroadcasterEventStreamHub(PgBroadcasterProperties properties, PgBroadcaster broadcaster,
            ObjectProvider<EventStreamAuthorization> authorization, Environment environment) {
        return new EventStreamHub(BroadcasterSettingsMapping.web(properties, broadcaster.channels(),
                BroadcasterSettingsMapping.threads(environment)), authorization.getIfUnique(),
                BroadcasterSettingsMapping.eventStreamJournal(broadcaster));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class MetricsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        EventStreamMetrics pgBroadcasterEventStreamMetrics(EventStreamHub hub) {
            return new EventStreamMetrics(hub);
        }

    }

}
