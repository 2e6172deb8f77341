package dev.pgbroadcaster;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.PrimaryAndStandby;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.awaitility.Awaitility.await;

/**
 * A listener whose URL leads to a hot standby, where LISTEN cannot work: it says so in words that name the server
 * and what to set (every host in {@code pg.broadcaster.url}, with {@code targetServerType=primary}), not the
 * credentials; it keeps trying with back-off, and health is DOWN with the reason in its details. Whether the URL named
 * the standby from the start or the server it named was demoted to a standby under a connected listener.
 */
@ExtendWith(OutputCaptureExtension.class)
class StandbyTests {

    private static final String STANDBY_NAMED = "is a standby (in recovery), where LISTEN cannot work";

    private static final String GENERIC_REMEDY = "Check pg.broadcaster.url, pg.broadcaster.username and "
            + "pg.broadcaster.password";

    private static final String FAULT = "The listener's URL leads to a standby: pointed at the standby alone from the "
            + "start, and a primary demoted to a standby (stopped, its standby promoted, restarted as the new one's "
            + "standby) under a connected listener that names it alone";

    private static PrimaryAndStandby pair;

    /** For the report: what the two tests measured, once both have run. */
    private static volatile Integer attemptsOnTheStandby;

    private static volatile Duration demotionNoticed;

    private static volatile Duration demotionNamed;

    private final String channel = Broadcasting.channel();

    @BeforeAll
    static void startPair() {
        pair = PrimaryAndStandby.start();
    }

    @AfterAll
    static void closePair() {
        if (attemptsOnTheStandby != null && demotionNamed != null) {
            ReliabilityFigures.fault(13, FAULT, "", 2, -1, List.of(), 0, 0, 0, 0, "no notification can be received there: "
                    + "the listener named the standby's host and port and what to set (every server in "
                    + "`pg.broadcaster.url`, `targetServerType=primary`) in its log, the event and health (`DOWN`), and "
                    + "kept trying (" + attemptsOnTheStandby + " attempts in the test); after the demotion it noticed the "
                    + "loss " + demotionNoticed.toMillis() + " ms after the stop began and named the standby "
                    + demotionNamed.toMillis() + " ms after it");
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aListenerPointedAtTheStandbyAloneNamesItKeepsTryingAndIsDown(CapturedOutput output) {
        String standby = FailoverTests.server(pair.standbyUrl());
        application(pair.standbyUrl()).run((context) -> {
            assertThat(context).hasNotFailed();
            EventRecorder events = context.getBean(EventRecorder.class);
            BroadcasterDisconnectedEvent notListening = events.nextInOrder(BroadcasterDisconnectedEvent.class);
            assertThat(notListening.reconnecting()).isTrue();
            assertThat(((SQLException) notListening.cause()).getSQLState()).isEqualTo("25006");
            assertThat(notListening.cause().getMessage()).contains("the server at " + standby + " " + STANDBY_NAMED)
                .contains("targetServerType=primary");
            assertThat(output.getOut()).contains("pg-broadcaster could not LISTEN")
                .contains("the server at " + standby + " " + STANDBY_NAMED)
                .contains("List every server in pg.broadcaster.url")
                .contains("add the URL parameter targetServerType=primary")
                .doesNotContain(GENERIC_REMEDY);

            // It goes on trying, with back-off, and stays DOWN while it does.
            AtomicInteger failures = context.getBean(FailedAttempts.class).count;
            int before = failures.get();
            await().atMost(Inbox.DEADLINE).until(() -> failures.get() >= before + 3);
            attemptsOnTheStandby = failures.get();
            BroadcasterHealth.Report health = health(context).report();
            assertThat(health.status()).isEqualTo("DOWN");
            assertThat(health.details()).extractingByKey("lastConnectionFailure").asString()
                .contains("the server at " + standby + " " + STANDBY_NAMED)
                .contains("targetServerType=primary");
            assertThat(context.getBean(BroadcasterStatistics.class).connected()).isFalse();
        });
    }

    @Test
    void withTheJournalAStandbyStopsStartupWhereTheJournalTableWouldBeCreatedNamingTheUrl() {
        String standby = FailoverTests.server(pair.standbyUrl());
        FaultScenario.withJournal(application(pair.standbyUrl()))
            .run((context) -> assertThat(StartupFailures.invalidProperty(context))
                .hasMessageContaining("pg.broadcaster.url leads to a standby (" + standby
                        + " is in recovery), where the journal table")
                .hasMessageContaining("add the URL parameter targetServerType=primary")
                .hasMessageNotContaining("CREATE on its schema"));
    }

    @Test
    void aPrimaryDemotedUnderAConnectedListenerIsNoticedAndNamedAsAStandby(CapturedOutput output) {
        String primary = FailoverTests.server(pair.primaryUrl());
        application(pair.primaryUrl()).run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            assertThat(events.nextInOrder(BroadcasterConnectedEvent.class).server()).isEqualTo(primary);
            long stopping = System.nanoTime();
            // The old primary rejoins as a standby of the new one, on its own port: the listener's URL now leads there.
            PrimaryAndStandby.Failover failover = pair.failover();
            long rejoined = System.nanoTime();
            assertThat(FailoverTests.server(pair.standbyUrl())).isEqualTo(primary);

            EventRecorder.Arrival<BroadcasterDisconnectedEvent> lost = events.nextArrival(BroadcasterDisconnectedEvent.class);
            assertThat(Duration.ofNanos(lost.nanos() - stopping)).as("from the stop until the loss was noticed")
                .isLessThanOrEqualTo(failover.stopPrimary()
                    .plus(FailoverTests.LIVENESS_INTERVAL)
                    .plus(FailoverTests.LIVENESS_TIMEOUT));
            // Once it accepts connections again, as a standby, the next attempt names it.
            EventRecorder.Arrival<BroadcasterDisconnectedEvent> named = await()
                .atMost(FailoverTests.MAX_DELAY.plus(FailoverTests.ATTEMPT_ALLOWANCE))
                .until(() -> events.arrivals(BroadcasterDisconnectedEvent.class).stream()
                    .filter((each) -> "25006".equals(((SQLException) each.event().cause()).getSQLState()))
                    .findFirst()
                    .orElse(null), (found) -> found != null);
            assertThat(named.nanos()).isLessThanOrEqualTo(rejoined + FailoverTests.MAX_DELAY.plus(FailoverTests.ATTEMPT_ALLOWANCE).toNanos());
            assertThat(named.event().cause().getMessage()).contains("the server at " + primary + " " + STANDBY_NAMED);
            assertThat(output.getOut()).contains("Reconnect attempt")
                .contains("the server at " + primary + " " + STANDBY_NAMED)
                .contains("This will not fix itself: LISTEN will not work on that server unless it is promoted");
            BroadcasterHealth.Report health = health(context).report();
            assertThat(health.status()).isEqualTo("DOWN");
            assertThat(health.details()).extractingByKey("lastConnectionFailure").asString().contains(STANDBY_NAMED);
            demotionNoticed = Duration.ofNanos(lost.nanos() - stopping);
            demotionNamed = Duration.ofNanos(named.nanos() - stopping);
        });
    }

    @Test
    void withFailFastAStandbyFailsStartupWithAnActionThatNamesThePrimary(CapturedOutput output) {
        SpringApplication application = new SpringApplication(Application.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        assertThatException().isThrownBy(() -> application.run("--spring.datasource.url=" + pair.standbyUrl(),
                "--spring.datasource.username=" + pair.username(), "--spring.datasource.password=",
                "--pg.broadcaster.channel=" + this.channel, "--pg.broadcaster.fail-fast=true").close());
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains(STANDBY_NAMED)
            .contains("Point the listener at the primary")
            .doesNotContain(GENERIC_REMEDY)
            .doesNotContain("Make sure PostgreSQL is running");
    }

    private ApplicationContextRunner application(String url) {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
            .withUserConfiguration(EventRecorder.class, FailedAttempts.class)
            .withPropertyValues("spring.datasource.url=" + url, "spring.datasource.username=" + pair.username(),
                    "spring.datasource.password=", "pg.broadcaster.channel=" + this.channel,
                    "pg.broadcaster.reconnect.initial-delay=50ms",
                    "pg.broadcaster.reconnect.max-delay=" + FailoverTests.MAX_DELAY.toMillis() + "ms",
                    "pg.broadcaster.liveness.interval=" + FailoverTests.LIVENESS_INTERVAL.toMillis() + "ms",
                    "pg.broadcaster.liveness.timeout=" + FailoverTests.LIVENESS_TIMEOUT.toMillis() + "ms");
    }

    private static BroadcasterHealth health(ApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

    /**
     * Counts the listener's failed connection attempts, which after the first are logged at debug level only.
     */
    @Configuration(proxyBeanMethods = false)
    static class FailedAttempts {

        final AtomicInteger count = new AtomicInteger();

        @Bean
        BroadcasterObserver failedAttemptCounter() {
            return new BroadcasterObserver() {

                @Override
                public void connectionFailed(Throwable cause) {
                    FailedAttempts.this.count.incrementAndGet();
                }

            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(PgBroadcasterAutoConfiguration.class)
    static class Application {

    }

}
