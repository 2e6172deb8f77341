package dev.pgbroadcaster;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the server ends the listener's session ({@code pg_terminate_backend}, as an administrator, a failover
 * or an idle-session killer does), again and again while notifications flow.
 */
class BackendTerminationFaultTests {

    private static final int FAULTS = 10;

    private static final String FAULT = "Listener session ended by the server (`pg_terminate_backend`), " + FAULTS
            + " times while notifications flow";

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("termination_fault");

    @Test
    void deliveryResumesAfterEveryTerminationAndNothingCommittedWhileConnectedIsLostOrDuplicated() {
        application().run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(FAULTS, 50, this::terminateListener);
            result.assertExactlyOnceWhileConnected();
            assertThat(scenario.recorder().arrivals(BroadcasterDisconnectedEvent.class)).hasSize(FAULTS);
            assertThat(scenario.statistics().reconnects()).isEqualTo(FAULTS);
            scenario.record(1, FAULT, "the termination", result, "the lost ones were sent during the reconnects");
        });
    }

    @Test
    void withTheJournalEveryCommitArrivesOnceWhateverTheTerminations() {
        FaultScenario.withJournal(application()).run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(FAULTS, 50, this::terminateListener);
            result.assertExactlyOnce();
            assertThat(scenario.statistics().reconnects()).isEqualTo(FAULTS);
            scenario.record(1, FAULT, "the termination", result,
                    "what was sent during the reconnects was replayed before each connected event");
        });
    }

    private ApplicationContextRunner application() {
        return FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=1s");
    }

    private void terminateListener() {
        assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
    }

}
