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
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=1s")
            .withUserConfiguration(DeliveryRecorder.class)
            .run((context) -> {
                DeliveryRecorder recorder = context.getBean(DeliveryRecorder.class);
                DeliveryAudit audit = new DeliveryAudit(
                        NumberedSender.toTestDatabase(this.channel), recorder);
                for (int i = 0; i < FAULTS; i++) {
                    audit.letFlow(50);
                    long injected = audit.faultInjected();
                    assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                    audit.recovered(injected);
                }
                audit.letFlow(50);
                DeliveryAudit.Result result = audit.finish();
                result.assertExactlyOnceWhileConnected();
                assertThat(recorder.disconnected()).hasSize(FAULTS);
                assertThat(context.getBean(BroadcasterStatistics.class).reconnects()).isEqualTo(FAULTS);
                ReliabilityFigures.fault(1, "Listener session ended by the server (`pg_terminate_backend`), "
                        + FAULTS + " times while notifications flow", "the termination", result,
                        "the lost ones were sent during the reconnects");
            });
    }

}
