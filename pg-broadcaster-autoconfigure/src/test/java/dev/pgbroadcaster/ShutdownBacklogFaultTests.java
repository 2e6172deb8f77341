package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault: the application closes while hundreds of notifications wait for a listener that is held up.
 */
class ShutdownBacklogFaultTests {

    private static final int BACKLOG = 200;

    private final String channel = Broadcasting.channel();

    @Test
    void withTimeToSpareTheWholeBacklogIsDelivered() {
        FaultScenario.application(this.channel).withUserConfiguration(EventRecorder.HoldingFirstNotification.class).run((context) -> {
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendBacklog(held, statistics);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
            held.release();
            closing.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(held.next(ChangeNotification.class, BACKLOG)).hasSize(BACKLOG);
            assertThat(statistics.published()).isEqualTo(BACKLOG);
            assertThat(statistics.undelivered()).isZero();
            FaultScenario.record(9, "The application closes with " + BACKLOG + " notifications queued behind a "
                    + "held-up listener, which then carries on (shutdown-timeout 10 s)", "", 1, -1, List.of(), BACKLOG,
                    statistics.published(), BACKLOG - statistics.published(), 0, "the backlog was delivered before close returned");
        });
    }

    @Test
    void whenTheShutdownTimeoutRunsOutWhatIsLeftIsCounted() {
        FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.shutdown-timeout=200ms")
            .withUserConfiguration(EventRecorder.HoldingFirstNotification.class)
            .run((context) -> {
                EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                sendBacklog(held, statistics);
                // The held listener never returns on its own: closing interrupts it once the timeout runs out.
                context.close();
                assertThat(statistics.undelivered()).isEqualTo(BACKLOG - 1);
                assertThat(statistics.listenerErrors()).isEqualTo(1);
                FaultScenario.record(10, "The application closes with " + BACKLOG + " notifications queued behind a "
                        + "listener that never returns (shutdown-timeout 200 ms)", "", 1, -1, List.of(), BACKLOG, 0, BACKLOG, 0,
                        "close returned after the timeout; " + statistics.undelivered() + " counted in undelivered, the one "
                                + "in hand interrupted and counted in listenerErrors");
            });
    }

    private void sendBacklog(EventRecorder.HoldingFirstNotification held, BroadcasterStatistics statistics) {
        send(this.channel, change("t0", "INSERT"));
        held.awaitHeld();
        for (int i = 1; i < BACKLOG; i++) {
            send(this.channel, change("t" + i, "INSERT"));
        }
        await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == BACKLOG);
    }

}
