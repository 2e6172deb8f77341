package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.pgbroadcaster.TypedPayloadTests.OrderShipped;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterReactiveAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The reactive stream against a real PostgreSQL: a {@code Flux} of every event, per channel and per type, emitted off
 * the dispatch thread; each subscriber's buffer under each overflow policy while it requests slowly; cancelling;
 * completion when the application stops; and an application without Reactor.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReactiveBroadcasterTests {

    private final String changes = Broadcasting.channel();

    private final String orders = Broadcasting.channel();

    private final String text = Broadcasting.channel();

    @Test
    void aFluxOfEveryEventPerChannelAndPerTypeOffTheDispatchThread() {
        typedApplication().run((context) -> {
            ReactiveBroadcaster reactive = context.getBean(ReactiveBroadcaster.class);
            Recorder<Object> all = Recorder.unbounded(reactive.events());
            Recorder<ChangeNotification> changeNotifications = Recorder.unbounded(reactive.events(ChangeNotification.class));
            Recorder<OrderShipped> shipped = Recorder.unbounded(reactive.events(OrderShipped.class));
            Recorder<RawNotification> raw = Recorder.unbounded(reactive.events(RawNotification.class));
            Recorder<RawNotification> ordersChannel = Recorder.unbounded(reactive.notifications(this.orders));
            send(this.orders, "{\"orderId\":7,\"trackingCode\":\"TRK-7\"}");
            send(this.changes, change("orders", "UPDATE"));
            send(this.text, "not JSON");
            send(this.orders, "{\"orderId\":8,\"trackingCode\":\"TRK-8\"}");

            List<Object> events = all.received.next(4);
            assertThat(events.get(0)).isEqualTo(new OrderShipped(7, "TRK-7"));
            assertThat(events.get(1)).isEqualTo(change("orders", "UPDATE"));
            // A channel that is not decoded publishes its RawNotification as its event.
            assertThat(events.get(2)).isInstanceOfSatisfying(RawNotification.class,
                    (notification) -> assertThat(notification.payload()).isEqualTo("not JSON"));
            assertThat(events.get(3)).isEqualTo(new OrderShipped(8, "TRK-8"));
            assertThat(changeNotifications.received.next()).isEqualTo(change("orders", "UPDATE"));
            assertThat(shipped.received.next(2)).containsExactly(new OrderShipped(7, "TRK-7"), new OrderShipped(8, "TRK-8"));
            assertThat(raw.received.next()).extracting(RawNotification::channel).isEqualTo(this.text);
            assertThat(ordersChannel.received.next(2)).extracting(RawNotification::payload)
                .containsExactly("{\"orderId\":7,\"trackingCode\":\"TRK-7\"}", "{\"orderId\":8,\"trackingCode\":\"TRK-8\"}");
            // The last of each is in; nothing else came to the filtered ones.
            send(this.changes, change("last", "INSERT"));
            assertThat(changeNotifications.received.next()).isEqualTo(change("last", "INSERT"));
            assertThat(all.received.next()).isEqualTo(change("last", "INSERT"));
            assertThat(shipped.received.isEmpty()).isTrue();
            assertThat(raw.received.isEmpty()).isTrue();
            assertThat(ordersChannel.received.isEmpty()).isTrue();
            assertThat(all.threads).allMatch((name) -> name.startsWith("pg-broadcaster-reactive-"));
        });
    }

    @Test
    void aChannelNotListenedOnIsRefused() {
        Broadcasting.application(this.changes)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterReactiveAutoConfiguration.class))
            .run((context) -> assertThatIllegalArgumentException()
                .isThrownBy(() -> context.getBean(ReactiveBroadcaster.class).notifications("elsewhere"))
                .withMessageContaining("\"elsewhere\"", this.changes, "pg.broadcaster.channel"));
    }

    @Test
    void withBlockTheDispatchThreadWaitsForASubscriberThatRequestsSlowlyAndNothingIsLost() {
        application("pg.broadcaster.dispatch.subscriber-queue-capacity=4").run((context) -> {
            EventRecorder listener = context.getBean(EventRecorder.class);
            Recorder<ChangeNotification> slow = Recorder.requesting(context.getBean(ReactiveBroadcaster.class)
                .events(ChangeNotification.class), 1);
            send(this.changes, numbered(1));
            assertThat(slow.received.next()).isEqualTo(numbered(1));
            numbered(2, 10).forEach((change) -> send(this.changes, change));
            // 2 to 5 fill its buffer; the dispatch thread waits to buffer 6, which the listeners had first.
            awaitDispatchThreadWaitingForRoom();
            assertThat(listener.next(ChangeNotification.class, 6)).isEqualTo(numbered(1, 6));
            assertThat(listener.hasNoMore(ChangeNotification.class)).isTrue();
            slow.request(Long.MAX_VALUE);
            assertThat(slow.received.next(9)).isEqualTo(numbered(2, 10));
            assertThat(listener.next(ChangeNotification.class, 4)).isEqualTo(numbered(7, 10));
            assertThat(context.getBean(BroadcasterStatistics.class).subscriberDropped()).isZero();
        });
    }

    @Test
    void aSubscriberThatStopsRequestingWithBlockIsNamedWhenTheBroadcasterIsStuck() {
        application("pg.broadcaster.dispatch.subscriber-queue-capacity=1", "pg.broadcaster.dispatch.queue-capacity=1",
                "pg.broadcaster.health.stuck-after=50ms").run((context) -> {
            dev.pgbroadcaster.core.PgBroadcaster broadcaster = context.getBean(dev.pgbroadcaster.core.PgBroadcaster.class);
            Recorder<ChangeNotification> stuck = Recorder.requesting(context.getBean(ReactiveBroadcaster.class)
                .events(ChangeNotification.class), 0);
            numbered(1, 4).forEach((change) -> send(this.changes, change));
            await().atMost(Inbox.DEADLINE).until(() -> broadcaster.stuck() != null);
            assertThat(broadcaster.stuck()).contains("pg-broadcaster-dispatch-1 waits with a ChangeNotification on channel",
                    "for room in a reactive subscriber's buffer", "BufferedSubscription.offer");
            stuck.request(Long.MAX_VALUE);
            assertThat(stuck.received.next(4)).isEqualTo(numbered(1, 4));
        });
    }

    @Test
    void withDropNewestWhatDoesNotFitIsDroppedCountedAndLogged(CapturedOutput output) {
        application("pg.broadcaster.dispatch.subscriber-queue-capacity=4", "pg.broadcaster.dispatch.overflow-policy=drop-newest")
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                Recorder<ChangeNotification> slow = Recorder.requesting(context.getBean(ReactiveBroadcaster.class)
                    .events(ChangeNotification.class), 0);
                numbered(1, 10).forEach((change) -> send(this.changes, change));
                await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDropped() == 6);
                slow.request(Long.MAX_VALUE);
                assertThat(slow.received.next(4)).isEqualTo(numbered(1, 4));
                send(this.changes, numbered(11));
                assertThat(slow.received.next()).isEqualTo(numbered(11));
                assertThat(output).contains("(events of ChangeNotification) requests too slowly: its buffer of 4 "
                        + "(pg.broadcaster.dispatch.subscriber-queue-capacity) is full and a notification was dropped "
                        + "(pg.broadcaster.dispatch.overflow-policy=drop-newest)");
            });
    }

    @Test
    void withDropOldestTheOldestBufferedIsDropped() {
        application("pg.broadcaster.dispatch.subscriber-queue-capacity=4", "pg.broadcaster.dispatch.overflow-policy=drop-oldest")
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                Recorder<ChangeNotification> slow = Recorder.requesting(context.getBean(ReactiveBroadcaster.class)
                    .events(ChangeNotification.class), 0);
                numbered(1, 10).forEach((change) -> send(this.changes, change));
                await().atMost(Inbox.DEADLINE).until(() -> statistics.subscriberDropped() == 6);
                slow.request(2);
                assertThat(slow.received.next(2)).isEqualTo(numbered(7, 8));
                slow.request(Long.MAX_VALUE);
                assertThat(slow.received.next(2)).isEqualTo(numbered(9, 10));
                send(this.changes, numbered(11));
                assertThat(slow.received.next()).isEqualTo(numbered(11));
                assertThat(statistics.subscriberDropped()).isEqualTo(6);
            });
    }

    @Test
    void cancellingFreesTheBufferAndTheDispatchThreadWaitingForRoomInIt() {
        application("pg.broadcaster.dispatch.subscriber-queue-capacity=2").run((context) -> {
            EventRecorder listener = context.getBean(EventRecorder.class);
            dev.pgbroadcaster.reactive.FluxBroadcaster reactive = context.getBean(dev.pgbroadcaster.reactive.FluxBroadcaster.class);
            Recorder<ChangeNotification> stuck = Recorder.requesting(reactive.events(ChangeNotification.class), 0);
            Recorder<ChangeNotification> other = Recorder.unbounded(reactive.events(ChangeNotification.class));
            assertThat(reactive.subscribers()).isEqualTo(2);
            numbered(1, 4).forEach((change) -> send(this.changes, change));
            awaitDispatchThreadWaitingForRoom();
            assertThat(other.received.next(2)).isEqualTo(numbered(1, 2));
            stuck.cancel();
            assertThat(reactive.subscribers()).isEqualTo(1);
            assertThat(listener.next(ChangeNotification.class, 4)).isEqualTo(numbered(1, 4));
            assertThat(other.received.next(2)).isEqualTo(numbered(3, 4));
            stuck.request(Long.MAX_VALUE);
            send(this.changes, numbered(5));
            assertThat(other.received.next()).isEqualTo(numbered(5));
            assertThat(stuck.received.isEmpty()).isTrue();
            assertThat(stuck.completed.getCount()).isOne();
        });
    }

    @Test
    void stoppingCompletesEveryFluxAndCountsWhatWasNotRequested() {
        application().run((context) -> {
            ReactiveBroadcaster reactive = context.getBean(ReactiveBroadcaster.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            Recorder<Object> reading = Recorder.unbounded(reactive.events());
            Recorder<RawNotification> notReading = Recorder.requesting(reactive.notifications(this.changes), 0);
            numbered(1, 3).forEach((change) -> send(this.changes, change));
            assertThat(reading.received.next(3)).isEqualTo(List.copyOf(numbered(1, 3)));
            long undeliveredBefore = statistics.undelivered();
            context.close();
            assertThat(reading.completesWithin(Inbox.DEADLINE)).isTrue();
            assertThat(notReading.completesWithin(Inbox.DEADLINE)).isTrue();
            assertThat(notReading.received.isEmpty()).isTrue();
            assertThat(statistics.undelivered() - undeliveredBefore).isEqualTo(3);
            // Subscribing once stopped gives a Flux that completes at once.
            assertThat(reactive.events().collectList().block(Inbox.DEADLINE)).isEmpty();
        });
    }

    @Test
    void withoutReactorTheBroadcasterStartsWithoutTheReactiveStream() {
        application().withClassLoader(new FilteredClassLoader(Flux.class)).run((context) -> {
            assertThat(context).hasNotFailed().hasSingleBean(Broadcaster.class);
            assertThat(context).doesNotHaveBean(ReactiveBroadcaster.class);
        });
    }

    private ApplicationContextRunner application(String... properties) {
        return Broadcasting.application(this.changes)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterReactiveAutoConfiguration.class))
            .withUserConfiguration(EventRecorder.class)
            .withPropertyValues(properties);
    }

    private ApplicationContextRunner typedApplication() {
        return application("pg.broadcaster.channels[0]=" + this.orders, "pg.broadcaster.channels[1]=" + this.text,
                "pg.broadcaster.payload-types[0].channel=" + this.orders,
                "pg.broadcaster.payload-types[0].type=" + OrderShipped.class.getName(),
                "pg.broadcaster.payload-types[1].channel=" + this.text, "pg.broadcaster.payload-types[1].type=raw");
    }

    private static ChangeNotification numbered(int number) {
        return change("t" + number, "INSERT");
    }

    private static List<ChangeNotification> numbered(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(ReactiveBroadcasterTests::numbered).toList();
    }

    // The only dispatch thread that waits in a reactive subscriber's buffer is this test's (the others have ended).
    private static void awaitDispatchThreadWaitingForRoom() {
        await().atMost(Inbox.DEADLINE).until(() -> Thread.getAllStackTraces().entrySet().stream()
            .filter((entry) -> entry.getKey().getName().startsWith("pg-broadcaster-dispatch-"))
            .map(Map.Entry::getValue)
            .anyMatch((stack) -> stack.length > 0 && List.of(stack).stream()
                .anyMatch((frame) -> frame.getClassName().endsWith("BufferedSubscription")
                        && frame.getMethodName().equals("offer"))
                    && List.of(stack).stream().anyMatch((frame) -> frame.getMethodName().equals("await"))));
    }

    /**
     * A subscriber that requests what it is told to, and records what it receives and on which thread.
     */
    static final class Recorder<T> extends BaseSubscriber<T> {

        final Inbox<T> received = new Inbox<>();

        final List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

        /** Counted down by the completion only: not by an error, nor by cancelling. */
        final CountDownLatch completed = new CountDownLatch(1);

        private final long initialRequest;

        private Recorder(long initialRequest) {
            this.initialRequest = initialRequest;
        }

        static <T> Recorder<T> unbounded(Flux<T> flux) {
            return requesting(flux, Long.MAX_VALUE);
        }

        static <T> Recorder<T> requesting(Flux<T> flux, long initialRequest) {
            Recorder<T> recorder = new Recorder<>(initialRequest);
            flux.subscribe(recorder);
            return recorder;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            if (this.initialRequest > 0) {
                subscription.request(this.initialRequest);
            }
        }

        @Override
        protected void hookOnNext(T value) {
            this.threads.add(Thread.currentThread().getName());
            this.received.add(value);
        }

        @Override
        protected void hookOnComplete() {
            this.completed.countDown();
        }

        boolean completesWithin(Duration timeout) throws InterruptedException {
            return this.completed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

    }

}
