package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CountDownLatch;

import dev.pgbroadcaster.core.PgBroadcaster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault: a subscriber that stops taking notifications while hundreds arrive, with each overflow policy.
 */
class SlowSubscriberFaultTests {

    private static final int SUBSCRIBER_QUEUE = 10;

    private static final int DISPATCH_QUEUE = 20;

    private final String channel = Broadcasting.channel();

    @ParameterizedTest
    @ValueSource(strings = { "block", "drop-newest", "drop-oldest" })
    void everyNotificationIsDeliveredOrCountedAsDroppedByThePolicy(String policy) {
        aSubscriberStopsTakingNotifications(application(policy), policy);
    }

    @Test
    void withTheJournalABlockedSubscriberHoldsUpTheListenerThenGetsEveryCommitOnce() {
        aSubscriberStopsTakingNotifications(FaultScenario.withJournal(application("block")), "block");
    }

    private ApplicationContextRunner application(String policy) {
        return FaultScenario.application(this.channel)
            .withPropertyValues("pg.broadcaster.dispatch.overflow-policy=" + policy,
                    "pg.broadcaster.dispatch.queue-capacity=" + DISPATCH_QUEUE,
                    "pg.broadcaster.dispatch.subscriber-queue-capacity=" + SUBSCRIBER_QUEUE);
    }

    private void aSubscriberStopsTakingNotifications(ApplicationContextRunner application, String policy) {
        application.run((context) -> {
            FaultScenario scenario = FaultScenario.in(context);
            BroadcasterStatistics statistics = scenario.statistics();
            PgBroadcaster broadcaster = context.getBean(PgBroadcaster.class);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Inbox<Long> subscriber = new Inbox<>();
            broadcaster.subscribe((notification) -> {
                entered.countDown();
                SubscriptionTests.awaitQuietly(release);
                subscriber.add(NumberedSender.number(notification));
            });
            NumberedSender sender = NumberedSender.toTestDatabase(this.channel, scenario.route());
            SubscriptionTests.awaitQuietly(entered);
            await().atMost(NumberedSender.DEADLINE).until(() -> sender.lastConfirmed() >= 200);
            sender.close();
            long sent = sender.lastConfirmed();
            assertThat(sender.failures()).as("sends that failed, and may or may not have been committed").isZero();
            if (policy.equals("block")) {
                // The subscriber holds up the dispatch thread, which holds up the listener.
                await().atMost(Inbox.DEADLINE).until(() -> broadcaster.dispatchQueueSize() == DISPATCH_QUEUE);
                assertThat(statistics.received()).isLessThan(sent);
            }
            else {
                await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == sent);
            }
            release.countDown();
            await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDelivered() + statistics.subscriberDropped() == sent);

            List<Long> delivered = subscriber.next((int) statistics.subscriberDelivered());
            assertThat(delivered).isSorted().doesNotHaveDuplicates();
            assertThat(statistics.published()).isEqualTo(sent);
            assertThat(statistics.dropped()).isZero();
            scenario.recorder().awaitNumber(sent);
            assertThat(scenario.recorder().numbers()).hasSize((int) sent);
            long dropped = statistics.subscriberDropped();
            switch (policy) {
                case "block" -> assertThat(dropped).isZero();
                case "drop-newest" -> assertThat(delivered).startsWith(1L, 2L, 3L).hasSize(SUBSCRIBER_QUEUE + 1);
                default -> assertThat(delivered).startsWith(1L).endsWith(sent).hasSize(SUBSCRIBER_QUEUE + 1);
            }
            int order = switch (policy) {
                case "block" -> 6;
                case "drop-newest" -> 7;
                default -> 8;
            };
            scenario.record(order, "A subscriber stops taking notifications while " + sent + " arrive; "
                    + "overflow policy `" + policy + "`, subscriber queue " + SUBSCRIBER_QUEUE, "", 1, 1, List.of(),
                    sent, delivered.size(), sent - delivered.size(), 0,
                    (dropped > 0) ? dropped + " dropped by the policy, each counted in subscriberDropped; event listeners "
                            + "got all " + sent
                            : "the subscriber held up dispatch and the listener, then got all " + sent);
        });
    }

}
