package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterObservabilityAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A listener that never returns, with {@code block} and a small queue: once the dispatch queue has been full for
 * {@code pg.broadcaster.health.stuck-after}, health is DOWN saying why, a warning names the listener and where it
 * waits, and both end once it returns.
 */
@ExtendWith(OutputCaptureExtension.class)
class StuckListenerTests {

    private static final Duration STUCK_AFTER = Duration.ofMillis(500);

    private final String channel = Broadcasting.channel();

    @Test
    void aListenerThatDoesNotReturnTurnsHealthDownNamingItAndUpOnceItReturns(CapturedOutput output) {
        application().withUserConfiguration(EventRecorder.HoldingFirstNotification.class).run((context) -> {
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterHealth health = health(context);
            send(this.channel, change("t0", "INSERT"));
            held.awaitHeld();
            assertThat(health.report().status()).isEqualTo("UP");
            long filling = System.nanoTime();
            // One held, two queued, the fourth in the listener's hand: the queue is full.
            IntStream.range(1, 6).forEach((i) -> send(this.channel, change("t" + i, "INSERT")));
            await().atMost(STUCK_AFTER.plus(Inbox.DEADLINE)).until(() -> health.report().status().equals("DOWN"));
            Duration toDown = Duration.ofNanos(System.nanoTime() - filling);
            assertThat(toDown).isGreaterThanOrEqualTo(STUCK_AFTER);
            BroadcasterHealth.Report down = health.report();
            assertThat(down.details()).containsKey("connectedSince").containsEntry("dispatchQueueSize", 2);
            assertThat((String) down.details().get("stuck"))
                .contains("the dispatch queue (pg.broadcaster.dispatch.queue-capacity=2, "
                        + "pg.broadcaster.dispatch.overflow-policy=block) has been full for")
                .contains("dev.pgbroadcaster.EventRecorder.on(java.lang.Object) has been running for at least")
                .contains("on pg-broadcaster-dispatch-1 with a ChangeNotification on channel \"" + this.channel + "\"")
                .contains("in java.util.concurrent.CountDownLatch.await(")
                .contains("from dev.pgbroadcaster.EventRecorder$HoldingFirstNotification.beforeRecording(")
                .contains("called from dev.pgbroadcaster.EventRecorder.on(EventRecorder.java:")
                .contains("The listener waits for room and reads nothing meanwhile")
                .contains("(pg.broadcaster.health.stuck-after=500ms)");
            await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains("pg-broadcaster is stuck: "));
            assertThat(output.getOut()).contains("dev.pgbroadcaster.EventRecorder.on(java.lang.Object) has been running")
                .contains("Make that listener (or subscriber) return");
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            context.getBean(BroadcasterMetrics.class).bindTo(registry);
            assertThat(registry.get("pg.broadcaster.server.notification-queue-usage").gauge()).isNotNull();

            long released = System.nanoTime();
            held.release();
            await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("UP"));
            Duration toUp = Duration.ofNanos(System.nanoTime() - released);
            assertThat(health.report().details()).doesNotContainKey("stuck");
            await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains("pg-broadcaster is no longer stuck"));
            assertThat(held.next(ChangeNotification.class, 6)).extracting(ChangeNotification::table)
                .containsExactly("t0", "t1", "t2", "t3", "t4", "t5");
            FaultScenario.in(context).record(14, "An event listener does not return (it waits on a latch) while 6 "
                    + "notifications arrive; overflow policy `block`, dispatch queue 2, `health.stuck-after` "
                    + STUCK_AFTER.toMillis() + " ms", "the listener returning", 1, 1, List.of(toUp), 6, 6, 0, 0,
                    "health DOWN " + toDown.toMillis() + " ms after the queue filled, its `stuck` detail and a warning "
                            + "naming the listener method, its thread and the latch it waits on; UP once it returned, "
                            + "and every notification delivered");
        });
    }

    @Test
    void aSubscriberThatDoesNotReturnIsNamedWithItsThread(CapturedOutput output) {
        application().withPropertyValues("pg.broadcaster.dispatch.subscriber-queue-capacity=1").run((context) -> {
            BroadcasterHealth health = health(context);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Subscription subscription = context.getBean(Broadcaster.class).subscribe((change) -> {
                entered.countDown();
                SubscriptionTests.awaitQuietly(release);
            });
            send(this.channel, change("t0", "INSERT"));
            SubscriptionTests.awaitQuietly(entered);
            // One in the callback, one in its queue, one in the dispatch thread's hand, two queued, one with the listener.
            IntStream.range(1, 6).forEach((i) -> send(this.channel, change("t" + i, "INSERT")));
            await().atMost(STUCK_AFTER.plus(Inbox.DEADLINE)).until(() -> health.report().status().equals("DOWN"));
            assertThat((String) health.report().details().get("stuck"))
                .contains("pg-broadcaster-dispatch-1 waits with a ChangeNotification on channel \"" + this.channel
                        + "\" for room in the queue of subscriber ")
                .contains("its callback has been running for at least")
                .containsPattern("on pg-broadcaster-subscriber-\\d+-1 \\(in java.util.concurrent.CountDownLatch.await\\(")
                .contains("called from dev.pgbroadcaster.StuckListenerTests.lambda$");
            await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains("pg-broadcaster is stuck: "));
            release.countDown();
            await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("UP"));
            subscription.close();
        });
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterObservabilityAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class)
            .withPropertyValues("pg.broadcaster.dispatch.queue-capacity=2", "pg.broadcaster.dispatch.overflow-policy=block",
                    "pg.broadcaster.health.stuck-after=" + STUCK_AFTER.toMillis() + "ms",
                    // So that closing does not wait long for a listener a failed assertion left held.
                    "pg.broadcaster.shutdown-timeout=200ms");
    }

    private static BroadcasterHealth health(ApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

}
