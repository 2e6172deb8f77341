package dev.pgbroadcaster;

import java.net.SocketTimeoutException;

import dev.pgbroadcaster.testsupport.LoopbackProxy;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the network silently drops everything on the listener connection (no FIN, no RST), which a blocking read
 * never notices: a proxy between listener and server stops forwarding both ways without closing anything.
 */
class BlackHoleFaultTests {

    private static final int FAULTS = 3;

    private static final String FAULT = "Network black hole on the listener connection (packets dropped both ways, "
            + "no FIN, no RST), " + FAULTS + " times while notifications flow; liveness interval 1 s, timeout 2 s";

    private final String channel = Broadcasting.channel();

    private final LoopbackProxy proxy = LoopbackProxy.to(TestDatabase.get().jdbcUrl());

    @AfterEach
    void closeProxy() {
        this.proxy.close();
    }

    @Test
    void aSilentlyDeadConnectionIsNoticedWithinTheLivenessBoundAndReplaced() {
        application().run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(FAULTS, 50, this.proxy::blackHoleOpenConnections);
            result.assertExactlyOnceWhileConnected();
            assertThat(scenario.recorder().arrivals(BroadcasterDisconnectedEvent.class)).hasSize(FAULTS)
                .allSatisfy((lost) -> assertThat(lost.event().cause()).hasMessageContaining("liveness check"));
            scenario.record(3, FAULT, "the black hole", result, "the lost ones were sent while the dead connection went "
                    + "unnoticed, up to interval + timeout = 3 s each time");
        });
    }

    @Test
    void withTheJournalEveryCommitArrivesOnceWhateverTheBlackHoles() {
        FaultScenario.withJournal(application()).run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(FAULTS, 50, this.proxy::blackHoleOpenConnections);
            result.assertExactlyOnce();
            // Noticed by a round trip that got no answer within the liveness timeout: the liveness check's, or a
            // catch-up's read of the journal, bounded by the same timeout.
            assertThat(scenario.recorder().arrivals(BroadcasterDisconnectedEvent.class)).hasSize(FAULTS)
                .allSatisfy((lost) -> assertThat(lost.event().cause()).satisfiesAnyOf(
                        (cause) -> assertThat(cause).hasMessageContaining("liveness check"),
                        (cause) -> assertThat(cause).hasRootCauseInstanceOf(SocketTimeoutException.class)));
            scenario.record(3, FAULT, "the black hole", result, "what was sent while the dead connection went unnoticed "
                    + "was replayed once it was noticed and replaced");
        });
    }

    private ApplicationContextRunner application() {
        return FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(), "pg.broadcaster.liveness.interval=1s",
                    "pg.broadcaster.liveness.timeout=2s", "pg.broadcaster.reconnect.initial-delay=50ms",
                    "pg.broadcaster.reconnect.max-delay=1s");
    }

}
