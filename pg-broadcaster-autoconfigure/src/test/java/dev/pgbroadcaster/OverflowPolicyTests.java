package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendFirstAndHoldIt(held);
            sendTheRest();
            // One held, two queued, and the listener waits with the fourth in hand.
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 4);
            assertThat(context.getBean(PgBroadcaster.class).dispatchQueueSize()).isEqualTo(2);
            held.release();
            assertThat(received(held)).isEqualTo(withSentinel(this.sent));
            assertThat(statistics.dropped()).isZero();
        });
    }

    @Test
    void blockCountsRoomPerNotificationWhenOneReadBringsMoreThanTheQueueHolds() {
        application("block").run((context) -> {
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            // One transaction, so the listener reads all eleven at once.
            sendInOneTransaction(this.channel, this.sent);
            // Still one held, two queued, and the listener waits with the fourth in hand.
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 4);
            assertThat(held.hasHeldFirst()).isTrue();
            assertThat(context.getBean(PgBroadcaster.class).dispatchQueueSize()).isEqualTo(2);
            held.release();
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

    @ParameterizedTest(name = "{0} keeps {1} and counts the rest")
    @CsvSource({ "drop-newest, 0 1 2", "drop-oldest, 0 9 10" })
    void aDropPolicyKeepsThreeAndCountsTheRest(String policy, String kept) {
        application(policy).run((context) -> {
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            sendFirstAndHoldIt(held);
            sendTheRest();
            await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == this.sent.size());
            held.release();
            // drop-newest keeps what was queued (the held one and the next two), drop-oldest the latest two.
            List<ChangeNotification> expected = Arrays.stream(kept.split(" "))
                .map((index) -> this.sent.get(Integer.parseInt(index)))
                .toList();
            assertThat(received(held)).isEqualTo(withSentinel(expected));
            assertThat(statistics.dropped()).isEqualTo(8);
        });
    }

    @Test
    void aSlowSubscribersQueueOverflowsByThePolicyWithoutHoldingUpEventListeners() {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.dispatch.subscriber-queue-capacity=2",
                    "pg.broadcaster.dispatch.overflow-policy=drop-newest")
            .withUserConfiguration(EventRecorder.class)
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
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, this.sent.size()))
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
            .withUserConfiguration(EventRecorder.HoldingFirstNotification.class);
    }

    private void sendFirstAndHoldIt(EventRecorder.HoldingFirstNotification held) {
        send(this.channel, this.sent.get(0));
        held.awaitHeld();
        assertThat(held.hasHeldFirst()).isTrue();
    }

    private void sendTheRest() {
        this.sent.subList(1, this.sent.size()).forEach((notification) -> send(this.channel, notification));
    }

    private List<ChangeNotification> received(EventRecorder.HoldingFirstNotification held) {
        ChangeNotification sentinel = change("sentinel", "INSERT");
        send(this.channel, sentinel);
        return held.upTo(ChangeNotification.class, sentinel);
    }

    private static List<ChangeNotification> withSentinel(List<ChangeNotification> notifications) {
        List<ChangeNotification> expected = new ArrayList<>(notifications);
        expected.add(change("sentinel", "INSERT"));
        return expected;
    }

}
