package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With a queue of 2 and a listener held on the first notification, ten more arrive: the policy decides which.
 */
class OverflowPolicyTests {

    private final String channel = Broadcasting.channel();

    private final List<ChangeNotification> sent = IntStream.range(0, 11)
        .mapToObj((i) -> change("t" + i, "INSERT"))
        .toList();

    @Test
    void blockLosesNothingAndHoldsUpTheListener() {
        application("block").run((context) -> {
            Held held = context.getBean(Held.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendFirstAndHoldIt(held);
            sendTheRest();
            // One held, two queued, and the listener waits with the fourth in hand.
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 4);
            assertThat(context.getBean(PgBroadcaster.class).dispatchQueueSize()).isEqualTo(2);
            held.release.countDown();
            assertThat(received(held)).isEqualTo(withSentinel(this.sent));
            assertThat(statistics.dropped()).isZero();
        });
    }

    @Test
    void blockCountsRoomPerNotificationWhenOneReadBringsMoreThanTheQueueHolds() {
        application("block").run((context) -> {
            Held held = context.getBean(Held.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            // One transaction, so the listener reads all eleven at once.
            sendInOneTransaction(this.channel, this.sent);
            // Still one held, two queued, and the listener waits with the fourth in hand.
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 4);
            assertThat(held.entered.getCount()).isZero();
            assertThat(context.getBean(PgBroadcaster.class).dispatchQueueSize()).isEqualTo(2);
            held.release.countDown();
            assertThat(received(held)).isEqualTo(withSentinel(this.sent));
            assertThat(statistics.dropped()).isZero();
        });
    }

    static void sendInOneTransaction(String channel, List<ChangeNotification> notifications) {
        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (ChangeNotification notification : notifications) {
                    statement.setString(1, channel);
                    statement.setString(2, notification.toString());
                    statement.execute();
                }
            }
            connection.commit();
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void dropNewestKeepsWhatWasQueuedAndCountsTheRest() {
        application("drop-newest").run((context) -> {
            Held held = context.getBean(Held.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendFirstAndHoldIt(held);
            sendTheRest();
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == this.sent.size());
            held.release.countDown();
            assertThat(received(held)).isEqualTo(withSentinel(List.of(this.sent.get(0), this.sent.get(1), this.sent.get(2))));
            assertThat(statistics.dropped()).isEqualTo(8);
        });
    }

    @Test
    void dropOldestKeepsTheLatestAndCountsTheRest() {
        application("drop-oldest").run((context) -> {
            Held held = context.getBean(Held.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendFirstAndHoldIt(held);
            sendTheRest();
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == this.sent.size());
            held.release.countDown();
            assertThat(received(held)).isEqualTo(withSentinel(List.of(this.sent.get(0), this.sent.get(9), this.sent.get(10))));
            assertThat(statistics.dropped()).isEqualTo(8);
        });
    }

    @Test
    void aSlowSubscribersQueueOverflowsByThePolicyWithoutHoldingUpEventListeners() {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.dispatch.subscriber-queue-capacity=2",
                    "pg.broadcaster.dispatch.overflow-policy=drop-newest")
            .withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                CountDownLatch entered = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                Inbox<ChangeNotification> subscriber = new Inbox<>();
                context.getBean(Broadcaster.class).subscribe((notification) -> {
                    entered.countDown();
                    SubscriptionTests.awaitQuietly(release);
                    subscriber.add(notification);
                });
                send(this.channel, this.sent.get(0));
                SubscriptionTests.awaitQuietly(entered);
                sendTheRest();
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.next(this.sent.size()))
                    .isEqualTo(this.sent);
                await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDropped() == 8);
                release.countDown();
                assertThat(subscriber.next(3)).containsExactly(this.sent.get(0), this.sent.get(1), this.sent.get(2));
                assertThat(statistics.dropped()).isZero();
            });
    }

    private org.springframework.boot.test.context.runner.ApplicationContextRunner application(String policy) {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.dispatch.queue-capacity=2", "pg.broadcaster.dispatch.overflow-policy=" + policy)
            .withUserConfiguration(Held.class);
    }

    private void sendFirstAndHoldIt(Held held) {
        send(this.channel, this.sent.get(0));
        SubscriptionTests.awaitQuietly(held.entered);
        assertThat(held.entered.getCount()).isZero();
    }

    private void sendTheRest() {
        this.sent.subList(1, this.sent.size()).forEach((notification) -> send(this.channel, notification));
    }

    private List<ChangeNotification> received(Held held) {
        ChangeNotification sentinel = change("sentinel", "INSERT");
        send(this.channel, sentinel);
        return held.inbox.upTo(sentinel);
    }

    private static List<ChangeNotification> withSentinel(List<ChangeNotification> notifications) {
        List<ChangeNotification> expected = new ArrayList<>(notifications);
        expected.add(change("sentinel", "INSERT"));
        return expected;
    }

    @Configuration(proxyBeanMethods = false)
    static class Held {

        final CountDownLatch entered = new CountDownLatch(1);

        final CountDownLatch release = new CountDownLatch(1);

        final Inbox<ChangeNotification> inbox = new Inbox<>();

        @EventListener
        void on(ChangeNotification notification) throws InterruptedException {
            this.entered.countDown();
            this.release.await();
            this.inbox.add(notification);
        }

    }

}
