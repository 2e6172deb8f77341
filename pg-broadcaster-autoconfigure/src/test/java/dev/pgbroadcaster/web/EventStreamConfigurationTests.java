package dev.pgbroadcaster.web;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.autoconfigure.InvalidBroadcasterPropertyException;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterWebMvcAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.web.servlet.DispatcherServlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * When the event stream is configured: off by default, only in a servlet application with Spring MVC, and never
 * with an allow-list that is empty or names a channel the broadcaster does not listen on.
 */
@ExtendWith(OutputCaptureExtension.class)
class EventStreamConfigurationTests {

    private final String channel = Broadcasting.channel();

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class, PgBroadcasterWebMvcAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + this.channel);

    @Test
    void offByDefault() {
        this.web.withPropertyValues("pg.broadcaster.web.channels=" + this.channel).run((context) -> {
            assertThat(context).hasSingleBean(PgBroadcaster.class);
            assertThat(context).doesNotHaveBean(EventStreamHub.class).doesNotHaveBean(EventStreamController.class);
        });
    }

    @Test
    void onInAServletApplicationWithSpringMvc() {
        this.web.withPropertyValues("pg.broadcaster.web.enabled=true", "pg.broadcaster.web.channels=" + this.channel)
            .run((context) -> assertThat(context).hasSingleBean(EventStreamHub.class).hasSingleBean(EventStreamController.class));
    }

    @Test
    void withoutSpringMvcTheBroadcasterStartsWithoutTheStream() {
        this.web.withPropertyValues("pg.broadcaster.web.enabled=true", "pg.broadcaster.web.channels=" + this.channel)
            .withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(PgBroadcaster.class);
                assertThat(context).doesNotHaveBean(EventStreamHub.class);
            });
    }

    @Test
    void notInAnApplicationThatIsNotAServletWebApplication() {
        Broadcasting.application(this.channel)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterWebMvcAutoConfiguration.class))
            .withPropertyValues("pg.broadcaster.web.enabled=true", "pg.broadcaster.web.channels=" + this.channel)
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EventStreamHub.class));
    }

    @Test
    void anEmptyAllowListStopsStartupNamingTheProperty(CapturedOutput output) {
        this.web.withPropertyValues("pg.broadcaster.web.enabled=true").run((context) -> {
            InvalidBroadcasterPropertyException failure = invalidProperty(context);
            assertThat(failure.getProperty()).isEqualTo("pg.broadcaster.web.channels");
            assertThat(failure.getProblem()).contains("must list the channels", this.channel);
        });
    }

    @Test
    void aListedChannelTheBroadcasterDoesNotListenOnStopsStartupNamingIt() {
        this.web.withPropertyValues("pg.broadcaster.web.enabled=true", "pg.broadcaster.web.channels=" + this.channel + ",elsewhere")
            .run((context) -> {
                InvalidBroadcasterPropertyException failure = invalidProperty(context);
                assertThat(failure.getProperty()).isEqualTo("pg.broadcaster.web.channels[1]");
                assertThat(failure.getProblem()).contains("\"elsewhere\"", "does not listen on", this.channel);
            });
    }

    @Test
    void outOfRangeSettingsStopStartupNamingTheProperty() {
        WebApplicationContextRunner enabled = this.web.withPropertyValues("pg.broadcaster.web.enabled=true",
                "pg.broadcaster.web.channels=" + this.channel);
        enabled.withPropertyValues("pg.broadcaster.web.buffer-size=0").run((context) -> assertThat(
                (invalidProperty(context)).getProperty())
            .isEqualTo("pg.broadcaster.web.buffer-size"));
        enabled.withPropertyValues("pg.broadcaster.web.max-clients=0").run((context) -> assertThat(
                (invalidProperty(context)).getProperty())
            .isEqualTo("pg.broadcaster.web.max-clients"));
        enabled.withPropertyValues("pg.broadcaster.web.heartbeat=0s").run((context) -> assertThat(
                (invalidProperty(context)).getProperty())
            .isEqualTo("pg.broadcaster.web.heartbeat"));
        enabled.withPropertyValues("pg.broadcaster.web.path=events").run((context) -> assertThat(
                (invalidProperty(context)).getProperty())
            .isEqualTo("pg.broadcaster.web.path"));
    }

    @Test
    void aRealApplicationReportsTheAllowListInSpringBootsFailureReport(CapturedOutput output) {
        assertThatThrownBy(() -> EventStreamApplication.start(EventStreamApplication.Open.class,
                "pg.broadcaster.channel=" + this.channel)).hasRootCauseInstanceOf(InvalidBroadcasterPropertyException.class);
        assertThat(output).contains("APPLICATION FAILED TO START",
                "pg-broadcaster cannot start: pg.broadcaster.web.channels must list the channels", "fix pg.broadcaster.web.channels");
    }

    private static InvalidBroadcasterPropertyException invalidProperty(AssertableWebApplicationContext context) {
        assertThat(context).hasFailed();
        for (Throwable each = context.getStartupFailure(); each != null; each = each.getCause()) {
            if (each instanceof InvalidBroadcasterPropertyException invalid) {
                return invalid;
            }
        }
        throw new AssertionError("Not stopped by an invalid property", context.getStartupFailure());
    }

}
