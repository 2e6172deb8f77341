package dev.pgbroadcaster.web;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterWebFluxAutoConfiguration;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterWebMvcAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.web.reactive.function.server.RouterFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the WebFlux endpoint is configured: in a reactive web application with WebFlux, and only there, so that an
 * application running Spring MVC keeps its controller with WebFlux on the classpath too.
 */
class WebFluxEventStreamConfigurationTests {

    private final String channel = Broadcasting.channel();

    private final AutoConfigurations both = AutoConfigurations.of(PgBroadcasterAutoConfiguration.class,
            PgBroadcasterWebMvcAutoConfiguration.class, PgBroadcasterWebFluxAutoConfiguration.class);

    private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
        .withConfiguration(this.both)
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.web.channels=" + this.channel);

    @Test
    void offByDefault() {
        this.reactive.run((context) -> {
            assertThat(context).hasSingleBean(PgBroadcaster.class);
            assertThat(context).doesNotHaveBean(EventStreamHub.class).doesNotHaveBean(EventStreamHandler.class);
        });
    }

    @Test
    void onInAReactiveApplicationWithWebFlux() {
        this.reactive.withPropertyValues("pg.broadcaster.web.enabled=true").run((context) -> {
            assertThat(context).hasSingleBean(EventStreamHub.class).hasSingleBean(EventStreamHandler.class);
            assertThat(context).hasBean("pgBroadcasterEventStreamRoute").doesNotHaveBean(EventStreamController.class);
        });
    }

    @Test
    void aServletApplicationWithWebFluxOnTheClasspathGetsTheSpringMvcEndpoint() {
        new WebApplicationContextRunner().withConfiguration(this.both)
            .withPropertyValues(TestDatabase.get().datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.web.channels=" + this.channel,
                    "pg.broadcaster.web.enabled=true")
            .run((context) -> {
                assertThat(context).hasSingleBean(EventStreamHub.class).hasSingleBean(EventStreamController.class);
                assertThat(context).doesNotHaveBean(EventStreamHandler.class).doesNotHaveBean("pgBroadcasterEventStreamRoute");
            });
    }

    @Test
    void withoutWebFluxTheBroadcasterStartsWithoutTheStream() {
        this.reactive.withPropertyValues("pg.broadcaster.web.enabled=true")
            .withClassLoader(new FilteredClassLoader(RouterFunction.class))
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(PgBroadcaster.class);
                assertThat(context).doesNotHaveBean(EventStreamHub.class);
            });
    }

    @Test
    void theAllowListIsCheckedAsForSpringMvc() {
        this.reactive.withPropertyValues("pg.broadcaster.web.enabled=true", "pg.broadcaster.web.channels=elsewhere")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("\"elsewhere\"", "does not listen on"));
    }

}
