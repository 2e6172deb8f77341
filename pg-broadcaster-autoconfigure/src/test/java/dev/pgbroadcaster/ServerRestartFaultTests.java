package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.testsupport.RestartablePostgresServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the database server stops and starts again on the same port and data directory, as a restart, an
 * upgrade or a failover to the same address looks to its clients.
 */
class ServerRestartFaultTests {

    private static final int RESTARTS = 3;

    private static final String FAULT = "PostgreSQL stopped (fast shutdown) and started again on the same port and "
            + "data directory, " + RESTARTS + " times while notifications flow";

    private final String channel = Broadcasting.channel();

    @Test
    void deliveryResumesAfterEveryRestartAndNothingCommittedWhileConnectedIsLostOrDuplicated() {
        try (RestartablePostgresServer server = RestartablePostgresServer.create().start()) {
            application(server).run((context) -> {
                FaultScenario scenario = FaultScenario.in(context)
                    .sendingTo(server.jdbcUrl(), server.username(), "", this.channel);
                List<Duration> restarts = new ArrayList<>();
                DeliveryAudit.Result result = scenario.injectAndFinish(RESTARTS, 50, () -> restart(server, restarts));
                result.assertExactlyOnceWhileConnected();
                assertThat(scenario.statistics().reconnects()).isEqualTo(RESTARTS);
                scenario.record(2, FAULT, measuredFrom(restarts), result,
                        "the lost ones were sent while the server stopped and restarted, or before the listener was back");
            });
        }
    }

    @Test
    void withTheJournalEveryCommitArrivesOnceWhateverTheRestarts() {
        // The journal table is created on this server, through the listener's connection, when the application starts.
        try (RestartablePostgresServer server = RestartablePostgresServer.create().start()) {
            FaultScenario.withJournal(application(server)).run((context) -> {
                FaultScenario scenario = FaultScenario.in(context)
                    .sendingTo(server.jdbcUrl(), server.username(), "", this.channel);
                List<Duration> restarts = new ArrayList<>();
                DeliveryAudit.Result result = scenario.injectAndFinish(RESTARTS, 50, () -> restart(server, restarts));
                result.assertExactlyOnce();
                assertThat(scenario.statistics().reconnects()).isEqualTo(RESTARTS);
                scenario.record(2, FAULT, measuredFrom(restarts), result,
                        "what was committed before the listener was back was replayed before each connected event");
            });
        }
    }

    private ApplicationContextRunner application(RestartablePostgresServer server) {
        return FaultScenario.application(new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class)))
            .withPropertyValues(server.datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.reconnect.initial-delay=50ms",
                    "pg.broadcaster.reconnect.max-delay=1s");
    }

    private static void restart(RestartablePostgresServer server, List<Duration> restarts) {
        server.stop();
        long starting = System.nanoTime();
        server.start();
        restarts.add(Duration.ofNanos(System.nanoTime() - starting));
    }

    private static String measuredFrom(List<Duration> restarts) {
        return "the stop (starting the server again took " + ReliabilityReport.median(restarts).toMillis()
                + " ms of it, median)";
    }

}
