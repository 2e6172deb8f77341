package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.pgbroadcaster.OverflowPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bounded queue behind dispatch and the subscribers, without a database: admission under each overflow policy,
 * items that are never dropped, waiting for room, and stopping.
 */
class BoundedQueueTests {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final List<Integer> dropped = new CopyOnWriteArrayList<>();

    @Test
    void roomIsCountedPerItem() throws InterruptedException {
        BoundedQueue<Integer> queue = queue(100, OverflowPolicy.BLOCK);
        assertThat(queue.admit(numbers(0, 64))).isEmpty();
        assertThat(queue.admit(numbers(64, 36))).isEmpty();
        assertThat(queue.size()).isEqualTo(100);
        List<Integer> taken = new ArrayList<>();
        assertThat(queue.take(taken, 1)).isEqualTo(1);
        assertThat(queue.size()).isEqualTo(99);
        assertThat(taken).containsExactly(0);
    }

    @ParameterizedTest
    @EnumSource(value = OverflowPolicy.class, names = { "DROP_NEWEST", "DROP_OLDEST" })
    void itIsFullFromTheFirstItemThatFindsNoRoomUntilAPlaceIsGivenBack(OverflowPolicy policy) throws InterruptedException {
        BoundedQueue<Integer> queue = queue(2, policy);
        assertThat(queue.admit(numbers(0, 2))).isEmpty();
        assertThat(queue.fullSince()).as("full, but nothing has found it full").isEqualTo(BoundedQueue.NOT_FULL);
        long before = System.nanoTime();
        assertThat(queue.admit(numbers(2, 1))).isEmpty();
        long fullSince = queue.fullSince();
        assertThat(fullSince - before).isNotNegative();
        // Dropping to make room, or dropping what does not fit, leaves it full since the first that found no room.
        assertThat(queue.admit(numbers(3, 2))).isEmpty();
        assertThat(queue.fullSince()).isEqualTo(fullSince);
        assertThat(queue.take(new ArrayList<>(), 1)).isEqualTo(1);
        assertThat(queue.fullSince()).isEqualTo(BoundedQueue.NOT_FULL);
    }

    @Test
    void aProducerWaitingForRoomFindsItFullUntilAnItemIsReleased() throws Exception {
        BoundedQueue<Integer> queue = new BoundedQueue<>(2, OverflowPolicy.BLOCK, this.dropped::add, false);
        assertThat(queue.admit(numbers(0, 2))).isEmpty();
        CompletableFuture<List<Integer>> blocked = CompletableFuture.supplyAsync(() -> queue.admit(numbers(2, 1)));
        await().atMost(DEADLINE).until(() -> queue.fullSince() != BoundedQueue.NOT_FULL);
        List<Integer> taken = new ArrayList<>();
        assertThat(queue.take(taken, 2)).isEqualTo(2);
        // Taken but not started: the places still count, and it is still full.
        assertThat(queue.fullSince()).isNotEqualTo(BoundedQueue.NOT_FULL);
        queue.release(1);
        assertThat(queue.fullSince()).isEqualTo(BoundedQueue.NOT_FULL);
        queue.release(1);
        assertThat(blocked.get()).isEmpty();
    }

    @Test
    void dropNewestDropsWhatDoesNotFitAndKeepsTheOrderOfTheRest() throws InterruptedException {
        BoundedQueue<Integer> queue = queue(3, OverflowPolicy.DROP_NEWEST);
        assertThat(queue.admit(numbers(0, 2))).isEmpty();
        assertThat(queue.admit(numbers(2, 3))).isEmpty();
        assertThat(this.dropped).containsExactly(3, 4);
        assertThat(takeAll(queue)).containsExactly(0, 1, 2);
    }

    @Test
    void dropOldestMakesRoomByDroppingTheOldest() throws InterruptedException {
        BoundedQueue<Integer> queue = queue(3, OverflowPolicy.DROP_OLDEST);
        assertThat(queue.admit(numbers(0, 2))).isEmpty();
        assertThat(queue.admit(numbers(2, 3))).isEmpty();
        assertThat(this.dropped).containsExactly(0, 1);
        assertThat(takeAll(queue)).containsExactly(2, 3, 4);
    }

    @ParameterizedTest
    @EnumSource(value = OverflowPolicy.class, names = { "DROP_NEWEST", "DROP_OLDEST" })
    void undroppableItemsAreNeverDroppedNorCountedAndKeepTheirPlace(OverflowPolicy policy) throws InterruptedException {
        BoundedQueue<Integer> queue = queue(2, policy);
        queue.admit(numbers(0, 1));
        assertThat(queue.admitUndroppable(-1)).isTrue();
        queue.admit(numbers(1, 3));
        assertThat(queue.size()).isEqualTo(2);
        List<Integer> all = takeAll(queue);
        assertThat(all).contains(-1).hasSize(3);
        assertThat(this.dropped).hasSize(2).doesNotContain(-1);
        if (policy == OverflowPolicy.DROP_OLDEST) {
            assertThat(all).containsExactly(-1, 2, 3);
        }
        else {
            assertThat(all).containsExactly(0, -1, 1);
        }
    }

    @Test
    void anUndroppableItemDoesNotWaitInAFullBlockingQueue() {
        BoundedQueue<Integer> queue = queue(1, OverflowPolicy.BLOCK);
        queue.admit(numbers(0, 1));
        assertThat(queue.admitUndroppable(-1)).isTrue();
    }

    @Test
    void whenFullAProducerWaitsUntilHalfTheQueueOrSixtyFourPlacesAreFree() throws Exception {
        BoundedQueue<Integer> queue = queue(100, OverflowPolicy.BLOCK);
        queue.admit(numbers(0, 100));
        AtomicReference<Thread> producer = new AtomicReference<>();
        CompletableFuture<List<Integer>> admitted = CompletableFuture.supplyAsync(() -> {
            producer.set(Thread.currentThread());
            return queue.admit(numbers(100, 1));
        });
        await().atMost(DEADLINE).until(() -> producer.get() != null && producer.get().getState() == Thread.State.TIMED_WAITING);
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < 49; i++) {
            queue.take(taken, 1);
        }
        await().during(Duration.ofMillis(200)).atMost(DEADLINE).until(() -> !admitted.isDone());
        queue.take(taken, 1);
        assertThat(admitted.get(DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).isEmpty();
        assertThat(queue.size()).isEqualTo(51);
        assertThat(this.dropped).isEmpty();
    }

    @Test
    void whenPlacesAreGivenBackOnReleaseTakenItemsCountUntilReleased() throws InterruptedException {
        BoundedQueue<Integer> queue = new BoundedQueue<>(3, OverflowPolicy.BLOCK, this.dropped::add, false);
        queue.admit(numbers(0, 3));
        List<Integer> taken = new ArrayList<>();
        assertThat(queue.take(taken, 3)).isEqualTo(3);
        assertThat(queue.size()).isEqualTo(3);
        assertThat(queue.room()).isZero();
        queue.release(1);
        assertThat(queue.room()).isEqualTo(1);
    }

    @Test
    void onlyBlockCanHoldPlacesUntilRelease() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
            .isThrownBy(() -> new BoundedQueue<Integer>(3, OverflowPolicy.DROP_OLDEST, this.dropped::add, false));
    }

    @Test
    void aBatchLargerThanTheQueueGoesInAsRoomFreesUp() throws Exception {
        BoundedQueue<Integer> queue = queue(4, OverflowPolicy.BLOCK);
        CompletableFuture<List<Integer>> admitted = CompletableFuture.supplyAsync(() -> queue.admit(numbers(0, 10)));
        List<Integer> taken = new ArrayList<>();
        while (taken.size() < 10) {
            queue.take(taken, 3);
        }
        assertThat(admitted.get(DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).isEmpty();
        assertThat(taken).isEqualTo(numbers(0, 10));
    }

    @Test
    void aWaitingProducerGetsItsItemsBackWhenTheQueueStopsAccepting() throws Exception {
        BoundedQueue<Integer> queue = queue(2, OverflowPolicy.BLOCK);
        queue.admit(numbers(0, 2));
        CompletableFuture<List<Integer>> admitted = CompletableFuture.supplyAsync(() -> queue.admit(numbers(2, 3)));
        await().during(Duration.ofMillis(100)).atMost(DEADLINE).until(() -> !admitted.isDone());
        queue.stopAccepting();
        assertThat(admitted.get(DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).containsExactly(2, 3, 4);
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.admit(numbers(5, 1))).containsExactly(5);
        assertThat(queue.admitUndroppable(-1)).isFalse();
    }

    @Test
    void takingDrainsWhatIsLeftAfterStoppingThenSaysItIsClosed() throws InterruptedException {
        BoundedQueue<Integer> queue = queue(5, OverflowPolicy.BLOCK);
        queue.admit(numbers(0, 3));
        queue.stopAccepting();
        List<Integer> taken = new ArrayList<>();
        assertThat(queue.take(taken, 10)).isEqualTo(3);
        assertThat(queue.take(taken, 10)).isZero();
    }

    @Test
    void manyProducersAndConsumersLoseNothingWithBlock() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            producersAndConsumers(threads);
        }
        finally {
            threads.shutdownNow();
        }
    }

    private void producersAndConsumers(ExecutorService threads) throws Exception {
        BoundedQueue<Integer> queue = queue(7, OverflowPolicy.BLOCK);
        List<Integer> taken = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> consumers = IntStream.range(0, 3).mapToObj((i) -> CompletableFuture.runAsync(() -> {
            List<Integer> hand = new ArrayList<>();
            try {
                while (queue.take(hand, 5) > 0) {
                    taken.addAll(hand);
                    hand.clear();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }, threads)).toList();
        List<CompletableFuture<Void>> producers = IntStream.range(0, 4)
            .mapToObj((p) -> CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 500; i++) {
                    assertThat(queue.admit(List.of(p * 1000 + i))).isEmpty();
                }
            }, threads))
            .toList();
        CompletableFuture.allOf(producers.toArray(CompletableFuture[]::new)).get(DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        queue.stopAccepting();
        CompletableFuture.allOf(consumers.toArray(CompletableFuture[]::new)).get(DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThat(taken).hasSize(2000).doesNotHaveDuplicates();
        assertThat(this.dropped).isEmpty();
    }

    private BoundedQueue<Integer> queue(int capacity, OverflowPolicy policy) {
        return new BoundedQueue<>(capacity, policy, this.dropped::add, true);
    }

    private static List<Integer> numbers(int from, int count) {
        return IntStream.range(from, from + count).boxed().toList();
    }

    private static List<Integer> takeAll(BoundedQueue<Integer> queue) throws InterruptedException {
        queue.stopAccepting();
        List<Integer> taken = new ArrayList<>();
        while (queue.take(taken, 100) > 0) {
            // until drained
        }
        return taken;
    }

}
