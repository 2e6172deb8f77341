package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.RestartablePostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the database is down when the application starts.
 */
@ExtendWith(OutputCaptureExtension.class)
class DatabaseDownAtStartupFaultTests {

    private static final String FAULT = "Database down when the application starts, started once the application is up";

    private final String channel = Broadcasting.channel();

    @Test
    void theApplicationStartsAnywayAndListensOnceTheDatabaseIsUp(CapturedOutput output) {
        try (RestartablePostgresServer server = RestartablePostgresServer.create()) {
            application(server).run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PgBroadcaster.class).isRunning()).isTrue();
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isFalse();
                assertThat(output.getOut()).contains("pg-broadcaster could not LISTEN on [" + this.channel + "] through "
                        + server.jdbcUrl()).contains("keeps trying in the background", "pg.broadcaster.fail-fast=true");

                FaultScenario scenario = FaultScenario.in(context);
                long starting = System.nanoTime();
                server.start();
                Duration serverStart = Duration.ofNanos(System.nanoTime() - starting);
                EventRecorder.Arrival<BroadcasterConnectedEvent> connected = scenario.recorder().awaitConnectedAfter(starting);
                assertThat(connected.event().reconnect()).isFalse();
                assertThat(connected.event().downtime()).isPositive();
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isTrue();

                DeliveryAudit.Result result = scenario.sendingTo(server.jdbcUrl(), server.username(), "", this.channel)
                    .finishAfter(200);
                result.assertExactlyOnceWhileConnected();
                assertThat(result.lost()).isZero();
                scenario.record(4, FAULT, measuredFrom(serverStart), 1, 1, List.of(Duration.ofNanos(connected.nanos() - starting)),
                        result.sent(), result.delivered(), result.lost(), result.duplicates(), "");
            });
        }
    }

    @Test
    void withTheJournalWhatIsCommittedBeforeTheListenerIsUpIsReplayedBeforeItsFirstConnectedEvent() {
        try (RestartablePostgresServer server = RestartablePostgresServer.create()) {
            FaultScenario.withJournal(application(server)).run((context) -> {
                // Its sends fail until the server is up and the starter has created the journal table on it.
                FaultScenario scenario = FaultScenario.in(context)
                    .sendingTo(server.jdbcUrl(), server.username(), "", this.channel);
                long starting = System.nanoTime();
                server.start();
                Duration serverStart = Duration.ofNanos(System.nanoTime() - starting);
                EventRecorder.Arrival<BroadcasterConnectedEvent> connected = scenario.recorder().awaitConnectedAfter(starting);
                assertThat(connected.event().complete()).isTrue();
                DeliveryAudit.Result result = scenario.finishAfter(200);
                result.assertExactlyOnce();
                scenario.record(4, FAULT, measuredFrom(serverStart), 1, 1, List.of(Duration.ofNanos(connected.nanos() - starting)),
                        result.sent(), result.delivered(), result.lost(), result.duplicates(),
                        "the sender started with the application and sent from the moment the journal table existed");
            });
        }
    }

    @Test
    void withFailFastStartupFailsNamingTheUrlAndTheProperties() {
        try (RestartablePostgresServer server = RestartablePostgresServer.create()) {
            application(server).withPropertyValues("pg.broadcaster.fail-fast=true").run((context) -> {
                assertThat(context).hasFailed();
                Throwable failure = context.getStartupFailure();
                while (!(failure instanceof PgBroadcaster.BroadcasterStartException) && failure.getCause() != null) {
                    failure = failure.getCause();
                }
                assertThat(failure).isInstanceOf(PgBroadcaster.BroadcasterStartException.class)
                    .hasMessageContaining(server.jdbcUrl())
                    .hasMessageContaining("pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password");
            });
        }
    }

    private static String measuredFrom(Duration serverStart) {
        return "starting the server (its own start, initdb included, took " + serverStart.toMillis() + " ms)";
    }

    private ApplicationContextRunner application(RestartablePostgresServer server) {
        return FaultScenario
            .application(new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class)))
            .withPropertyValues(server.datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.reconnect.initial-delay=50ms",
                    "pg.broadcaster.reconnect.max-delay=1s");
    }

}
