package dev.pgbroadcaster.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.pgbroadcaster.Inbox;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import org.springframework.core.io.buffer.DataBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The WebFlux output, without a server: a write waits for the response's demand, a cancelled response ends a waiting
 * write and tells the hub the client has gone, and closing completes the body after what was written.
 */
class FluxStreamOutputTests {

    @Test
    void aWriteWaitsUntilTheResponseAsksForMore() throws Exception {
        FluxStreamOutput output = new FluxStreamOutput();
        Body body = new Body();
        output.body().subscribe(body);
        CompletableFuture<Void> written = CompletableFuture.runAsync(() -> write(output, "one"));
        awaitAWriterWaiting();
        assertThat(written).isNotDone();
        assertThat(body.texts.isEmpty()).isTrue();
        body.request(1);
        written.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(body.texts.next()).isEqualTo("one");
    }

    @Test
    void aCancelledResponseEndsTheWaitingWriteAndSaysTheClientHasGone() throws Exception {
        FluxStreamOutput output = new FluxStreamOutput();
        AtomicBoolean gone = new AtomicBoolean();
        output.onGone(() -> gone.set(true));
        Body body = new Body();
        output.body().subscribe(body);
        CompletableFuture<Void> written = CompletableFuture.runAsync(() -> write(output, "never"));
        awaitAWriterWaiting();
        body.cancel();
        assertThatThrownBy(() -> written.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
            .isInstanceOf(ExecutionException.class)
            .hasRootCauseInstanceOf(IOException.class);
        assertThat(gone).isTrue();
        assertThat(body.texts.isEmpty()).isTrue();
    }

    @Test
    void closingCompletesTheBodyAfterWhatWasWritten() throws Exception {
        FluxStreamOutput output = new FluxStreamOutput();
        Body body = new Body();
        body.unbounded = true;
        output.body().subscribe(body);
        output.write("first");
        output.write("second");
        output.close();
        assertThat(body.completed.await(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(body.texts.next(2)).containsExactly("first", "second");
        assertThatThrownBy(() -> output.write("after")).isInstanceOf(IOException.class);
    }

    @Test
    void aBodySubscribedAfterCloseCompletesAtOnce() throws InterruptedException {
        FluxStreamOutput output = new FluxStreamOutput();
        output.close();
        Body body = new Body();
        output.body().subscribe(body);
        assertThat(body.completed.await(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    private static void awaitAWriterWaiting() {
        await().atMost(Inbox.DEADLINE).until(() -> Thread.getAllStackTraces().keySet().stream()
            .anyMatch((thread) -> thread.getState() == Thread.State.WAITING && List.of(thread.getStackTrace())
                .stream()
                .anyMatch((frame) -> frame.getClassName().endsWith("FluxStreamOutput") && frame.getMethodName().equals("write"))));
    }

    private static void write(FluxStreamOutput output, String text) {
        try {
            output.write(text);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The response, as a subscriber that requests only when told to.
     */
    private static final class Body extends BaseSubscriber<DataBuffer> {

        final Inbox<String> texts = new Inbox<>();

        final CountDownLatch completed = new CountDownLatch(1);

        boolean unbounded;

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            if (this.unbounded) {
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        protected void hookOnNext(DataBuffer buffer) {
            this.texts.add(buffer.toString(StandardCharsets.UTF_8));
        }

        @Override
        protected void hookOnComplete() {
            this.completed.countDown();
        }

    }

}
