package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault: the application closes while hundreds of notifications wait for a listener that is held up.
 */
class ShutdownBacklogFaultTests {

    private static final int BACKLOG = 200;

    private static final String HELD_UP_LISTENER_CARRIES_ON = "The application closes with " + BACKLOG
            + " notifications queued behind a held-up listener, which then carries on (shutdown-timeout 10 s)";

    private final String channel = Broadcasting.channel();

    @Test
    void withTimeToSpareTheWholeBacklogIsDelivered() {
        application().run((context) -> {
            sendBacklog(context, (change) -> send(this.channel, change));
            closeWithTimeToSpare(context);
        });
    }

    @Test
    void withTheJournalAndTimeToSpareTheWholeBacklogIsDelivered() {
        FaultScenario.withJournal(application()).withUserConfiguration(PgNotifierTests.Database.class).run((context) -> {
            PgNotifier notifier = context.getBean(PgNotifier.class);
            sendBacklog(context, (change) -> notifier.send(this.channel, change));
            closeWithTimeToSpare(context);
        });
    }

    @Test
    void whenTheShutdownTimeoutRunsOutWhatIsLeftIsCounted() {
        application().withPropertyValues("pg.broadcaster.shutdown-timeout=200ms").run((context) -> {
            FaultScenario scenario = FaultScenario.in(context);
            BroadcasterStatistics statistics = scenario.statistics();
            sendBacklog(context, (change) -> send(this.channel, change));
            // The held listener never returns on its own: closing interrupts it once the timeout runs out.
            context.close();
            assertThat(statistics.undelivered()).isEqualTo(BACKLOG - 1);
            assertThat(statistics.listenerErrors()).isEqualTo(1);
            scenario.record(10, "The application closes with " + BACKLOG + " notifications queued behind a listener "
                    + "that never returns (shutdown-timeout 200 ms)", "", 1, -1, List.of(), BACKLOG, 0, BACKLOG, 0,
                    "close returned after the timeout; " + statistics.undelivered() + " counted in undelivered, the one "
                            + "in hand interrupted and counted in listenerErrors");
        });
    }

    private ApplicationContextRunner application() {
        return FaultScenario.application(this.channel).withUserConfiguration(EventRecorder.HoldingFirstNotification.class);
    }

    private void sendBacklog(ApplicationContext context, Consumer<ChangeNotification> send) {
        EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
        BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
        send.accept(change("t0", "INSERT"));
        held.awaitHeld();
        for (int i = 1; i < BACKLOG; i++) {
            send.accept(change("t" + i, "INSERT"));
        }
        await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == BACKLOG);
    }

    private void closeWithTimeToSpare(ConfigurableApplicationContext context) throws Exception {
        EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
        FaultScenario scenario = FaultScenario.in(context);
        BroadcasterStatistics statistics = scenario.statistics();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
        held.release();
        closing.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(held.next(ChangeNotification.class, BACKLOG)).hasSize(BACKLOG).doesNotHaveDuplicates();
        assertThat(held.hasNoMore(ChangeNotification.class)).isTrue();
        assertThat(statistics.published()).isEqualTo(BACKLOG);
        assertThat(statistics.undelivered()).isZero();
        scenario.record(9, HELD_UP_LISTENER_CARRIES_ON, "", 1, -1, List.of(), BACKLOG, statistics.published(),
                BACKLOG - statistics.published(), 0, "the backlog was delivered before close returned");
    }

}
