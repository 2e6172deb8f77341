package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.pgbroadcaster.OverflowPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A queue and its threads, without a database: order on one thread, names, and what shutting down reports as never
 * run.
 */
class LaneTests {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final List<String> ran = new CopyOnWriteArrayList<>();

    private final List<Runnable> dropped = new CopyOnWriteArrayList<>();

    private final CountDownLatch release = new CountDownLatch(1);

    private Lane lane;

    @AfterEach
    void shutDown() {
        this.release.countDown();
        if (this.lane != null) {
            this.lane.shutdown(System.nanoTime());
        }
    }

    @Test
    void oneThreadRunsItemsInOrderUnderItsName() {
        this.lane = new Lane("test-lane-", 1, 64, 100, OverflowPolicy.BLOCK, this.dropped::add);
        this.lane.admit(IntStream.range(0, 50).mapToObj((i) -> record("item-" + i)).toList());
        await().atMost(DEADLINE).until(() -> this.ran.size() == 50);
        assertThat(this.ran).isEqualTo(IntStream.range(0, 50).mapToObj((i) -> "item-" + i + " on test-lane-1").toList());
        assertThat(this.lane.shutdown(System.nanoTime() + DEADLINE.toNanos())).isEmpty();
    }

    @Test
    void shuttingDownRunsWhatIsQueuedWithinTheDeadline() {
        this.lane = new Lane("test-lane-", 2, 1, 100, OverflowPolicy.BLOCK, this.dropped::add);
        this.lane.admit(IntStream.range(0, 20).mapToObj((i) -> record("item-" + i)).toList());
        assertThat(this.lane.shutdown(System.nanoTime() + DEADLINE.toNanos())).isEmpty();
        assertThat(this.ran).hasSize(20);
        assertThat(this.lane.admit(List.of(record("late")))).hasSize(1);
    }

    @Test
    void whatNeverRanWhenTheDeadlinePassesIsReturnedIncludingWhatAThreadHadTakenButNotStarted() {
        this.lane = new Lane("test-lane-", 1, 64, 100, OverflowPolicy.BLOCK, this.dropped::add);
        CountDownLatch entered = new CountDownLatch(1);
        Runnable stuck = () -> {
            entered.countDown();
            awaitQuietly(this.release);
        };
        Runnable second = record("second");
        Runnable third = record("third");
        // Taken together: the thread holds all three while it runs the first.
        this.lane.admit(List.of(stuck, second, third));
        awaitQuietly(entered);
        Runnable queued = record("queued");
        this.lane.admit(List.of(queued));
        List<Runnable> neverRan = this.lane.shutdown(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(neverRan).containsExactly(second, third, queued);
        assertThat(this.ran).isEmpty();
        this.lane = null;
    }

    @Test
    void anItemThatThrowsDoesNotStopTheThread() {
        this.lane = new Lane("test-lane-", 1, 64, 100, OverflowPolicy.BLOCK, this.dropped::add);
        this.lane.admit(List.of(() -> {
            throw new IllegalStateException("expected by the test");
        }, record("after")));
        await().atMost(DEADLINE).until(() -> this.ran.size() == 1);
    }

    @Test
    void droppedItemsGoToTheDropHandler() {
        this.lane = new Lane("test-lane-", 1, 1, 1, OverflowPolicy.DROP_NEWEST, this.dropped::add);
        CountDownLatch entered = new CountDownLatch(1);
        this.lane.admit(List.of(() -> {
            entered.countDown();
            awaitQuietly(this.release);
        }));
        awaitQuietly(entered);
        Runnable fits = record("fits");
        Runnable doesNotFit = record("does not fit");
        this.lane.admit(List.of(fits, doesNotFit));
        assertThat(this.dropped).containsExactly(doesNotFit);
        assertThat(this.lane.queued()).isEqualTo(1);
    }

    private Runnable record(String name) {
        return () -> this.ran.add(name + " on " + Thread.currentThread().getName());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
