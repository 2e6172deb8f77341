package dev.pgbroadcaster;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the server ends the listener's session ({@code pg_terminate_backend}, as an administrator, a failover
 * or an idle-session killer does), again and again while notifications flow.
 */
class BackendTerminationFaultTests {

    private static final int FAULTS = 10;

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("termination_fault");

    @Test
    void deliveryResumesAfterEveryTerminationAndNothingCommittedWhileConnectedIsLostOrDuplicated() {
        FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=1s")
            .run((context) -> {
                FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
                DeliveryAudit.Result result = scenario.injectAndFinish(FAULTS, 50,
                        () -> assertThat(ListenerSessions.terminate(this.applicationName)).isTrue());
                result.assertExactlyOnceWhileConnected();
                assertThat(scenario.recorder().arrivals(BroadcasterDisconnectedEvent.class)).hasSize(FAULTS);
                assertThat(scenario.statistics().reconnects()).isEqualTo(FAULTS);
                FaultScenario.record(1, "Listener session ended by the server (`pg_terminate_backend`), "
                        + FAULTS + " times while notifications flow", "the termination", result,
                        "the lost ones were sent during the reconnects");
            });
    }

}
