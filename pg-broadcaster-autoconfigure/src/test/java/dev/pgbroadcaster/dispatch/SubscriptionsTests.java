package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.Subscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The subscribers' queues, without a database: order, the overflow policies, closing with a deadline, a
 * callback that throws, and a subscriber that closes itself.
 */
@ExtendWith(OutputCaptureExtension.class)
class SubscriptionsTests {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private static final String CHANNEL = "orders";

    private static final ApplicationEventDelivery.Recipients NO_ONE = (recipient) -> {
    };

    private final RecordingObserver observer = new RecordingObserver();

    private final CountDownLatch release = new CountDownLatch(1);

    private final List<ChangeNotification> sent = IntStream.range(0, 11)
        .mapToObj((i) -> new ChangeNotification("public", "t" + i, "INSERT"))
        .toList();

    private Subscriptions subscriptions;

    @AfterEach
    void closeAll() {
        this.release.countDown();
        if (this.subscriptions != null) {
            this.subscriptions.closeAll(System.nanoTime());
        }
    }

    @Test
    void eachSubscriberGetsEveryNotificationInOrder() {
        this.subscriptions = new Subscriptions(100, OverflowPolicy.BLOCK, this.observer);
        List<List<ChangeNotification>> received = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(),
                new CopyOnWriteArrayList<>());
        received.forEach((each) -> this.subscriptions.add(each::add));
        this.sent.forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        await().atMost(DEADLINE).until(() -> received.stream().allMatch((each) -> each.size() == this.sent.size()));
        assertThat(received).allSatisfy((each) -> assertThat(each).isEqualTo(this.sent));
        await().atMost(DEADLINE).until(() -> this.observer.count("delivered") == 3 * this.sent.size());
        assertThat(this.observer.events()).containsOnly("delivered " + CHANNEL);
    }

    @ParameterizedTest(name = "{0} keeps {1}")
    @CsvSource({ "DROP_NEWEST, 0 1 2", "DROP_OLDEST, 0 9 10" })
    void aFullQueueDropsByThePolicyAndReportsEachDrop(OverflowPolicy policy, String kept, CapturedOutput output) {
        this.subscriptions = new Subscriptions(2, policy, this.observer);
        List<ChangeNotification> received = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1);
        this.subscriptions.add((notification) -> {
            entered.countDown();
            awaitQuietly(this.release);
            received.add(notification);
        });
        this.subscriptions.deliver(CHANNEL, this.sent.get(0), NO_ONE);
        awaitQuietly(entered);
        // One in the callback, two queued: the other eight do not fit.
        this.sent.subList(1, this.sent.size()).forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        assertThat(this.observer.count("dropped " + CHANNEL + " SUBSCRIBER_QUEUE_FULL")).isEqualTo(8);
        this.release.countDown();
        List<ChangeNotification> expected = Arrays.stream(kept.split(" "))
            .map((index) -> this.sent.get(Integer.parseInt(index)))
            .toList();
        await().atMost(DEADLINE).until(() -> received.size() == expected.size());
        assertThat(received).isEqualTo(expected);
        await().atMost(DEADLINE).until(() -> this.observer.count("delivered " + CHANNEL) == expected.size());
        assertThat(this.observer.count("dropped")).isEqualTo(8);
        assertThat(output.getOut()).contains("Subscriber 1 is too slow: its queue of 2 is full");
    }

    @Test
    void closingDeliversWhatIsQueuedWithinTheDeadline() throws Exception {
        this.subscriptions = new Subscriptions(100, OverflowPolicy.BLOCK, this.observer);
        List<ChangeNotification> received = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1);
        this.subscriptions.add((notification) -> {
            entered.countDown();
            awaitQuietly(this.release);
            received.add(notification);
        });
        this.sent.forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        awaitQuietly(entered);
        // Closing begins while the callback is held with ten queued behind it.
        CompletableFuture<Long> closing = CompletableFuture
            .supplyAsync(() -> this.subscriptions.closeAll(System.nanoTime() + DEADLINE.toNanos()));
        this.release.countDown();
        assertThat(closing.get(2 * DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isZero();
        assertThat(received).isEqualTo(this.sent);
        assertThat(this.observer.count("dropped")).isZero();
        this.subscriptions = null;
    }

    @Test
    void whatClosingCouldNotDeliverWithinTheDeadlineIsReturnedAndReportedAsShutdown() {
        this.subscriptions = new Subscriptions(100, OverflowPolicy.BLOCK, this.observer);
        List<ChangeNotification> received = new CopyOnWriteArrayList<>();
        CountDownLatch entered = new CountDownLatch(1);
        this.subscriptions.add((notification) -> {
            entered.countDown();
            awaitQuietly(this.release);
            received.add(notification);
        });
        this.sent.forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        awaitQuietly(entered);
        long undelivered = this.subscriptions.closeAll(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
        // The one in the callback was handed over; the ten queued behind it never were.
        assertThat(undelivered).isEqualTo(this.sent.size() - 1);
        assertThat(this.observer.count("dropped " + CHANNEL + " SHUTDOWN")).isEqualTo(this.sent.size() - 1);
        assertThat(received).doesNotContainAnyElementsOf(this.sent.subList(1, this.sent.size()));
        this.subscriptions = null;
    }

    @Test
    void aCallbackThatThrowsIsReportedAndKeepsReceiving(CapturedOutput output) {
        this.subscriptions = new Subscriptions(100, OverflowPolicy.BLOCK, this.observer);
        List<ChangeNotification> received = new CopyOnWriteArrayList<>();
        this.subscriptions.add((notification) -> {
            received.add(notification);
            if (notification.equals(this.sent.get(0))) {
                throw new IllegalStateException("subscriber failure on purpose");
            }
        });
        this.sent.forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        await().atMost(DEADLINE).until(() -> received.size() == this.sent.size());
        assertThat(received).isEqualTo(this.sent);
        await().atMost(DEADLINE).until(() -> this.observer.count("delivered") == this.sent.size() - 1);
        assertThat(this.observer.count("failed " + CHANNEL)).isEqualTo(1);
        assertThat(output.getOut()).contains("Subscriber 1 threw while handling", "it keeps receiving notifications",
                "subscriber failure on purpose");
    }

    @Test
    void aSubscriberMayCloseItsSubscriptionFromItsCallback() {
        this.subscriptions = new Subscriptions(100, OverflowPolicy.BLOCK, this.observer);
        List<ChangeNotification> closing = new CopyOnWriteArrayList<>();
        List<ChangeNotification> staying = new CopyOnWriteArrayList<>();
        Subscription[] own = new Subscription[1];
        CountDownLatch subscribed = new CountDownLatch(1);
        own[0] = this.subscriptions.add((notification) -> {
            awaitQuietly(subscribed);
            closing.add(notification);
            own[0].close();
        });
        subscribed.countDown();
        this.subscriptions.add(staying::add);
        this.sent.forEach((notification) -> this.subscriptions.deliver(CHANNEL, notification, NO_ONE));
        await().atMost(DEADLINE).until(() -> staying.size() == this.sent.size());
        await().atMost(DEADLINE).until(() -> !own[0].isActive());
        assertThat(closing).containsExactly(this.sent.get(0));
        assertThat(staying).isEqualTo(this.sent);
        // Closed: later notifications are not queued for it, and closing everything has nothing of it left.
        this.subscriptions.deliver(CHANNEL, new ChangeNotification("public", "late", "INSERT"), NO_ONE);
        await().atMost(DEADLINE).until(() -> staying.size() == this.sent.size() + 1);
        assertThat(closing).hasSize(1);
        assertThat(this.subscriptions.closeAll(System.nanoTime() + DEADLINE.toNanos())).isZero();
        this.subscriptions = null;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Records, as text, what the subscriptions report.
     */
    private static final class RecordingObserver implements BroadcasterObserver {

        private final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void dropped(String channel, DropReason reason) {
            this.events.add("dropped " + channel + " " + reason);
        }

        @Override
        public void subscriberDelivered(String channel) {
            this.events.add("delivered " + channel);
        }

        @Override
        public void subscriberFailed(String channel) {
            this.events.add("failed " + channel);
        }

        List<String> events() {
            synchronized (this.events) {
                return List.copyOf(this.events);
            }
        }

        long count(String prefix) {
            return events().stream().filter((event) -> event.startsWith(prefix)).count();
        }

    }

}
