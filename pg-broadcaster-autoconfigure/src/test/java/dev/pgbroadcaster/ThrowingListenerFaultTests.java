package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: an event listener that throws, on every 25th notification and on every connected event (a resync
 * that fails), while the connection is also lost once.
 */
class ThrowingListenerFaultTests {

    private static final String FAULT = "An event listener throws on every 25th notification and on every "
            + "BroadcasterConnectedEvent; the connection is lost once meanwhile";

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("throwing_fault");

    @Test
    void otherListenersGetEveryNotificationAndEveryThrowIsCounted() {
        application().run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(1, 150, this::terminateListener);
            result.assertExactlyOnceWhileConnected();
            int throwsInjected = assertEveryThrowCounted(context.getBean(Throwing.class), scenario, result);
            scenario.record(5, FAULT, "", throwsInjected, throwsInjected, List.of(), result.sent(), result.delivered(),
                    result.lost(), result.duplicates(), "the other listener got every notification; " + throwsInjected
                            + " throws counted in listenerErrors; " + result.lost() + " lost around the one lost connection");
        });
    }

    @Test
    void withTheJournalOtherListenersGetEveryCommitOnceAndEveryThrowIsCounted() {
        FaultScenario.withJournal(application()).run((context) -> {
            FaultScenario scenario = FaultScenario.in(context).sendingToTestDatabase(this.channel);
            DeliveryAudit.Result result = scenario.injectAndFinish(1, 150, this::terminateListener);
            result.assertExactlyOnce();
            int throwsInjected = assertEveryThrowCounted(context.getBean(Throwing.class), scenario, result);
            scenario.record(5, FAULT, "", throwsInjected, throwsInjected, List.of(), result.sent(), result.delivered(),
                    result.lost(), result.duplicates(), "the other listener got every notification, replayed ones "
                            + "included; " + throwsInjected + " throws counted in listenerErrors");
        });
    }

    private ApplicationContextRunner application() {
        return FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms")
            .withUserConfiguration(Throwing.class);
    }

    private void terminateListener() {
        assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
    }

    /**
     * Checks that the throwing listener threw where it should and that each throw was counted.
     * @return how many times it threw
     */
    private static int assertEveryThrowCounted(Throwing throwing, FaultScenario scenario, DeliveryAudit.Result result) {
        BroadcasterStatistics statistics = scenario.statistics();
        assertThat(throwing.connectedEvents.get()).isEqualTo(2);
        int throwsInjected = throwing.thrown.get();
        long multiplesOfTwentyFive = scenario.recorder().numbers().stream().filter((number) -> number % 25 == 0).count();
        assertThat(throwing.notificationThrows.get()).isEqualTo(multiplesOfTwentyFive);
        assertThat(throwsInjected).isEqualTo(multiplesOfTwentyFive + 2);
        assertThat(statistics.listenerErrors()).isEqualTo(throwsInjected);
        assertThat(statistics.published()).isEqualTo(result.delivered());
        return throwsInjected;
    }

    /**
     * The fault: a listener ordered before the {@link EventRecorder} that throws, counting each throw.
     */
    @Configuration(proxyBeanMethods = false)
    static class Throwing {

        final AtomicInteger thrown = new AtomicInteger();

        final AtomicInteger notificationThrows = new AtomicInteger();

        final AtomicInteger connectedEvents = new AtomicInteger();

        @EventListener
        @Order(1)
        void on(ChangeNotification notification) {
            if (NumberedSender.number(notification) % 25 == 0) {
                this.thrown.incrementAndGet();
                this.notificationThrows.incrementAndGet();
                throw new IllegalStateException("listener failure on purpose");
            }
        }

        @EventListener
        @Order(1)
        void on(BroadcasterConnectedEvent event) {
            this.connectedEvents.incrementAndGet();
            this.thrown.incrementAndGet();
            throw new IllegalStateException("resync failure on purpose");
        }

    }

}
