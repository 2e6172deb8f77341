package dev.pgbroadcaster.web;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.dispatch.LaneThreads;
import dev.pgbroadcaster.dispatch.Notification;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The hub without a web server or a database: where a gap or a resync goes in a client's stream, and what threads
 * write.
 */
class EventStreamHubTests {

    /** What a stream starts with without the journal: a comment, and the id a reconnecting browser sends back. */
    private static final String OPENED = SseText.OPENED + SseText.id(SseText.NO_POSITION);


    private static final String CHANNEL = "orders";

    @Test
    void aGapTakesThePlaceOfWhatWasDroppedOnceThereIsRoom() throws Exception {
        EventStreamHub hub = hub(2, EventStreamOverflow.GAP, LaneThreads.PLATFORM);
        HeldOutput output = new HeldOutput();
        hub.open(null, Map.of(), null, output);
        // The writer is held in its first write: two fit in the buffer, two are dropped.
        for (int i = 1; i <= 4; i++) {
            hub.delivered(notification(i));
        }
        await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(hub.dropped()).isEqualTo(2));
        output.release();
        assertThat(read(output, OPENED + SseText.event(CHANNEL, null, "1") + SseText.event(CHANNEL, null, "2")
                + "event: gap\ndata: {\"dropped\":2}\n\n")).isTrue();
        hub.delivered(notification(5));
        assertThat(output.written.next()).isEqualTo(SseText.event(CHANNEL, null, "5"));
        hub.stop();
        assertThat(hub.disconnects(DisconnectReason.SHUTDOWN)).isEqualTo(1);
        assertThat(output.closed.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    @Test
    void aResyncThatFindsTheBufferFullGoesOutOnceThereIsRoom() throws Exception {
        EventStreamHub hub = hub(1, EventStreamOverflow.GAP, LaneThreads.PLATFORM);
        HeldOutput output = new HeldOutput();
        hub.open(null, Map.of(), null, output);
        hub.delivered(notification(1));
        hub.connectionEvent(new BroadcasterConnectedEvent(List.of(CHANNEL), true, Duration.ofSeconds(1), java.time.Instant.now()));
        hub.delivered(notification(2));
        await().atMost(Inbox.DEADLINE).until(() -> hub.fannedOut() == 3);
        output.release();
        assertThat(read(output, OPENED + SseText.event(CHANNEL, null, "1")
                + "event: resync\ndata: {\"reason\":\"listener-reconnected\"}\n\n" + "event: gap\ndata: {\"dropped\":1}\n\n"))
            .isTrue();
        hub.stop();
    }

    @Test
    void withTheDisconnectPolicyAFullBufferEndsTheStreamWithoutWaitingForTheWriter() throws Exception {
        EventStreamHub hub = hub(1, EventStreamOverflow.DISCONNECT, LaneThreads.PLATFORM);
        HeldOutput output = new HeldOutput();
        hub.open(null, Map.of(), null, output);
        hub.delivered(notification(1));
        hub.delivered(notification(2));
        await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(hub.disconnects(DisconnectReason.SLOW)).isEqualTo(1));
        assertThat(hub.clients()).isZero();
        hub.delivered(notification(3));
        output.release();
        assertThat(output.closed.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(output.written.next()).isEqualTo(OPENED);
        assertThat(output.written.poll(Duration.ZERO)).isNull();
        hub.stop();
    }

    @Test
    void writersArePlatformDaemonThreadsNamedAfterTheirClient() throws Exception {
        EventStreamHub hub = hub(4, EventStreamOverflow.GAP, LaneThreads.PLATFORM);
        HeldOutput first = new HeldOutput();
        HeldOutput second = new HeldOutput();
        hub.open(null, Map.of(), null, first);
        hub.open(null, Map.of(), null, second);
        first.release();
        second.release();
        Thread writer = first.writer.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(writer.getName()).isEqualTo("pg-broadcaster-sse-1");
        assertThat(writer.isDaemon()).isTrue();
        assertThat(isVirtual(writer)).isFalse();
        assertThat(second.writer.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS).getName()).isEqualTo("pg-broadcaster-sse-2");
        hub.stop();
    }

    @Test
    void writersAreVirtualThreadsWhenTheBroadcastersAre() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21 or later; .ci/run tests on Java 25");
        EventStreamHub hub = hub(4, EventStreamOverflow.GAP, LaneThreads.VIRTUAL);
        HeldOutput output = new HeldOutput();
        hub.open(null, Map.of(), null, output);
        output.release();
        Thread writer = output.writer.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(writer.getName()).isEqualTo("pg-broadcaster-sse-1");
        assertThat(isVirtual(writer)).isTrue();
        hub.stop();
    }

    @Test
    void aClientGetsOnlyTheChannelsItAskedForAndNothingOutsideTheAllowList() throws Exception {
        EventStreamHub hub = hub(8, EventStreamOverflow.GAP, LaneThreads.PLATFORM);
        assertThat(hub.open(null, Map.of("channel", List.of("secrets")), null, new HeldOutput()).status()).isEqualTo(400);
        HeldOutput output = new HeldOutput();
        output.release();
        hub.open(null, Map.of("channel", List.of(CHANNEL)), null, output);
        hub.delivered(new Notification(new RawNotification("secrets", "no", 1), null, System.nanoTime()));
        hub.delivered(notification(1));
        assertThat(read(output, OPENED + SseText.event(CHANNEL, null, "1"))).isTrue();
        hub.stop();
    }

    // Writes are batched as the events queue up, so what was written is compared as one text.
    private static boolean read(HeldOutput output, String expected) {
        StringBuilder text = new StringBuilder();
        while (text.length() < expected.length()) {
            text.append(output.written.next());
        }
        assertThat(text.toString()).isEqualTo(expected);
        return true;
    }

    private static EventStreamHub hub(int bufferSize, EventStreamOverflow overflow, LaneThreads threads) {
        EventStreamHub hub = new EventStreamHub(new EventStreamSettings(Set.of(CHANNEL), bufferSize, overflow,
                Duration.ofHours(1), 10, threads), null);
        hub.start();
        return hub;
    }

    private static Notification notification(int number) {
        return new Notification(new RawNotification(CHANNEL, String.valueOf(number), 1), null, System.nanoTime());
    }

    // Thread.isVirtual() is Java 21's; the code compiles for Java 17.
    private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    }

    /**
     * An output whose first write waits until the test releases it, as a client that does not read yet.
     */
    private static final class HeldOutput implements StreamOutput {

        final Inbox<String> written = new Inbox<>();

        final CompletableFuture<Boolean> closed = new CompletableFuture<>();

        final CompletableFuture<Thread> writer = new CompletableFuture<>();

        private final Semaphore held = new Semaphore(0);

        private boolean first = true;

        void release() {
            this.held.release();
        }

        @Override
        public void write(String text) throws IOException {
            this.writer.complete(Thread.currentThread());
            if (this.first) {
                this.first = false;
                // Uninterruptibly, as a blocked socket write is.
                this.held.acquireUninterruptibly();
            }
            this.written.add(text);
        }

        @Override
        public void close() {
            this.closed.complete(true);
        }

    }

}
