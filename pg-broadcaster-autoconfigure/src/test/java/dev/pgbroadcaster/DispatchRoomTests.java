package dev.pgbroadcaster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DispatchRoomTests {

    @Test
    void roomIsCountedPerNotification() {
        DispatchRoom room = new DispatchRoom(100);
        assertThat(room.take(64, () -> true)).isTrue();
        assertThat(room.take(36, () -> true)).isTrue();
        assertThat(room.queued()).isEqualTo(100);
        assertThat(room.available()).isZero();
        room.release(1);
        assertThat(room.queued()).isEqualTo(99);
    }

    @Test
    void whenFullTheTakerWaitsUntilHalfTheQueueOrSixtyFourPlacesAreFree() throws InterruptedException {
        DispatchRoom room = new DispatchRoom(100);
        room.take(100, () -> true);
        AtomicBoolean taken = new AtomicBoolean();
        Thread taker = new Thread(() -> taken.set(room.take(1, () -> true)));
        taker.start();
        await().atMost(Inbox.DEADLINE).until(() -> taker.getState() == Thread.State.TIMED_WAITING);
        for (int i = 0; i < 49; i++) {
            room.release(1);
        }
        await().during(Duration.ofMillis(200)).atMost(Inbox.DEADLINE).until(taker::isAlive);
        room.release(1);
        taker.join(Inbox.DEADLINE.toMillis());
        assertThat(taken).isTrue();
        assertThat(room.queued()).isEqualTo(51);
    }

    @Test
    void aTakerGivesUpWhenTheQueueNoLongerAccepts() {
        DispatchRoom room = new DispatchRoom(2);
        room.take(2, () -> true);
        AtomicBoolean accepting = new AtomicBoolean(true);
        CompletableFuture<Boolean> taken = CompletableFuture.supplyAsync(() -> room.take(1, accepting::get));
        accepting.set(false);
        await().atMost(Inbox.DEADLINE).until(taken::isDone);
        assertThat(taken.join()).isFalse();
        assertThat(room.queued()).isEqualTo(2);
    }

}
