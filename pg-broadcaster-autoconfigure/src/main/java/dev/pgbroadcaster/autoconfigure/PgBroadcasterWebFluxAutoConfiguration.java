package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.web.EventStreamHandler;
import dev.pgbroadcaster.web.EventStreamHub;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Server-sent events for browsers, in a WebFlux application, with {@code pg.broadcaster.web.enabled=true}: the same
 * hub as for Spring MVC, and a route at {@code pg.broadcaster.web.path}, behind the application's web filters
 * (Spring Security's {@code SecurityWebFilterChain} among them).
 */
@AutoConfiguration(after = PgBroadcasterAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass(name = { "org.springframework.web.reactive.function.server.RouterFunction", "reactor.core.publisher.Flux" })
@ConditionalOnProperty(prefix = "pg.broadcaster.web", name = "enabled", havingValue = "true")
@ConditionalOnBean(PgBroadcaster.class)
@Import(EventStreamHubConfiguration.class)
public class PgBroadcasterWebFluxAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    EventStreamHandler pgBroadcasterEventStreamHandler(EventStreamHub hub) {
        return new EventStreamHandler(hub);
    }

    // Its handler's hub has checked pg.broadcaster.web.path by the time this is built.
    @Bean
    @ConditionalOnMissingBean(name = "pgBroadcasterEventStreamRoute")
    RouterFunction<ServerResponse> pgBroadcasterEventStreamRoute(EventStreamHandler handler,
            PgBroadcasterProperties properties) {
        return RouterFunctions.route(RequestPredicates.GET(properties.getWeb().getPath()), handler);
    }

}
