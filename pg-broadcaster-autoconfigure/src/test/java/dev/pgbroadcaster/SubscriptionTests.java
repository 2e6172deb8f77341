package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class SubscriptionTests {

    private final String channel = Broadcasting.channel();

    private final List<ChangeNotification> sent = List.of(change("a", "INSERT"), change("b", "UPDATE"),
            change("c", "DELETE"));

    @Test
    void everySubscriberGetsEveryNotificationInOrder() {
        Broadcasting.application(this.channel).run((context) -> {
            Broadcaster broadcaster = context.getBean(Broadcaster.class);
            List<Inbox<ChangeNotification>> inboxes = List.of(new Inbox<>(), new Inbox<>(), new Inbox<>());
            inboxes.forEach((inbox) -> broadcaster.subscribe(inbox::add));
            this.sent.forEach((notification) -> send(this.channel, notification));
            for (Inbox<ChangeNotification> inbox : inboxes) {
                assertThat(inbox.next(this.sent.size())).isEqualTo(this.sent);
            }
        });
    }

    @Test
    void aClosedSubscriptionGetsNothingMore() {
        Broadcasting.application(this.channel).run((context) -> {
            Broadcaster broadcaster = context.getBean(Broadcaster.class);
            Inbox<ChangeNotification> closing = new Inbox<>();
            Inbox<ChangeNotification> staying = new Inbox<>();
            Subscription subscription = broadcaster.subscribe(closing::add);
            broadcaster.subscribe(staying::add);
            send(this.channel, change("before", "INSERT"));
            assertThat(closing.next()).isEqualTo(change("before", "INSERT"));
            assertThat(staying.next()).isEqualTo(change("before", "INSERT"));

            subscription.close();
            assertThat(subscription.isActive()).isFalse();
            this.sent.forEach((notification) -> send(this.channel, notification));
            assertThat(staying.next(this.sent.size())).isEqualTo(this.sent);
            assertThat(closing.isEmpty()).isTrue();
            // Counted once the callback returns, just after it handed the last one over.
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDelivered() == 2 + this.sent.size());
            assertThat(closing.isEmpty()).isTrue();
        });
    }

    @Test
    void closingTwiceOrFromInsideTheCallbackIsAllowed() {
        Broadcasting.application(this.channel).run((context) -> {
            Inbox<ChangeNotification> inbox = new Inbox<>();
            AtomicReference<Subscription> self = new AtomicReference<>();
            self.set(context.getBean(Broadcaster.class).subscribe((notification) -> {
                inbox.add(notification);
                self.get().close();
            }));
            this.sent.forEach((notification) -> send(this.channel, notification));
            assertThat(inbox.next()).isEqualTo(this.sent.get(0));
            self.get().close();
            assertThat(self.get().isActive()).isFalse();
            // The statistics count every callback that ran: the first one, and no other.
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDelivered() == 1);
            await().atMost(Inbox.DEADLINE).until(() -> statistics.published() == this.sent.size());
            assertThat(statistics.subscriberDelivered()).isEqualTo(1);
            assertThat(inbox.isEmpty()).isTrue();
        });
    }

    @Test
    void aNullCallbackIsRejected() {
        Broadcasting.application(this.channel).run((context) -> assertThatIllegalArgumentException()
            .isThrownBy(() -> context.getBean(Broadcaster.class).subscribe(null))
            .withMessage("The subscriber callback must not be null"));
    }

    @Test
    void aSlowSubscriberDoesNotHoldUpTheOthers() {
        Broadcasting.application(this.channel).run((context) -> {
            Broadcaster broadcaster = context.getBean(Broadcaster.class);
            CountDownLatch release = new CountDownLatch(1);
            Inbox<ChangeNotification> slow = new Inbox<>();
            Inbox<ChangeNotification> fast = new Inbox<>();
            broadcaster.subscribe((notification) -> {
                awaitQuietly(release);
                slow.add(notification);
            });
            broadcaster.subscribe(fast::add);
            this.sent.forEach((notification) -> send(this.channel, notification));
            assertThat(fast.next(this.sent.size())).isEqualTo(this.sent);
            assertThat(slow.isEmpty()).isTrue();
            release.countDown();
            assertThat(slow.next(this.sent.size())).isEqualTo(this.sent);
        });
    }

    @Test
    void aSubscriberThatThrowsKeepsReceiving() {
        Broadcasting.application(this.channel).run((context) -> {
            Inbox<ChangeNotification> inbox = new Inbox<>();
            context.getBean(Broadcaster.class).subscribe((notification) -> {
                inbox.add(notification);
                throw new IllegalStateException("subscriber failure on purpose");
            });
            this.sent.forEach((notification) -> send(this.channel, notification));
            assertThat(inbox.next(this.sent.size())).isEqualTo(this.sent);
            await()
                .atMost(Inbox.DEADLINE)
                .until(() -> context.getBean(BroadcasterStatistics.class).subscriberErrors() == this.sent.size());
        });
    }

    @Test
    void subscribingAfterTheApplicationClosedIsRejected() {
        AtomicReference<Broadcaster> broadcaster = new AtomicReference<>();
        Broadcasting.application(this.channel).run((context) -> broadcaster.set(context.getBean(Broadcaster.class)));
        assertThatIllegalStateException().isThrownBy(() -> broadcaster.get().subscribe((notification) -> {
        })).withMessageContaining("stopped");
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
