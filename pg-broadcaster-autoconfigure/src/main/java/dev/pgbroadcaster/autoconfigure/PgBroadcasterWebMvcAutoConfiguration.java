package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.web.EventStreamController;
import dev.pgbroadcaster.web.EventStreamHub;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Server-sent events for browsers, in a Spring MVC application, with {@code pg.broadcaster.web.enabled=true}: the
 * hub, a sink of the broadcaster, and its endpoint at {@code pg.broadcaster.web.path}.
 */
@AutoConfiguration(after = PgBroadcasterAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = { "org.springframework.web.servlet.DispatcherServlet", "jakarta.servlet.http.HttpServletRequest" })
@ConditionalOnProperty(prefix = "pg.broadcaster.web", name = "enabled", havingValue = "true")
@ConditionalOnBean(PgBroadcaster.class)
@Import(EventStreamHubConfiguration.class)
public class PgBroadcasterWebMvcAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    EventStreamController pgBroadcasterEventStreamController(EventStreamHub hub) {
        return new EventStreamController(hub);
    }

}
