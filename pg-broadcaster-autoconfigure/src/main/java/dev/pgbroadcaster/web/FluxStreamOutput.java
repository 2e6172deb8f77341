package dev.pgbroadcaster.web;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Operators;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * A client's events as the body of a WebFlux response: a {@code Flux} of buffers, into which the client's writer
 * thread writes one piece of text at a time, each only once the server has asked for one. So a client that does not
 * read, whose connection stops asking, holds up its own writer alone, its events pile up in its buffer at the hub,
 * and the hub's overflow policy applies, as with a blocking write in Spring MVC.
 */
final class FluxStreamOutput implements StreamOutput {

    /**
     * How long the writer waits for the server to start writing the response: one whose exchange ended before (the
     * client went at once) is never written, and its stream ends then.
     */
    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(30);

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = this.lock.newCondition();

    // Guarded by lock.
    private FluxSink<DataBuffer> sink;

    private long demand;

    private boolean cancelled;

    private boolean closed;

    private volatile Runnable onGone = () -> {
    };

    private final Flux<DataBuffer> body = Flux.create(this::subscribed);

    /**
     * Returns the body: one subscriber, the response.
     */
    Flux<DataBuffer> body() {
        return this.body;
    }

    /**
     * Sets what to do when the response's subscription is cancelled: the client has gone.
     */
    void onGone(Runnable onGone) {
        this.onGone = onGone;
    }

    private void subscribed(FluxSink<DataBuffer> subscribed) {
        boolean completeNow;
        this.lock.lock();
        try {
            if (this.sink != null) {
                subscribed.error(new IllegalStateException("An event stream's body is written once"));
                return;
            }
            this.sink = subscribed;
            completeNow = this.closed;
            this.changed.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        subscribed.onRequest(this::requested);
        subscribed.onCancel(this::cancelled);
        if (completeNow) {
            subscribed.complete();
        }
    }

    private void requested(long n) {
        this.lock.lock();
        try {
            this.demand = Operators.addCap(this.demand, n);
            this.changed.signalAll();
        }
        finally {
            this.lock.unlock();
        }
    }

    private void cancelled() {
        this.lock.lock();
        try {
            this.cancelled = true;
            this.changed.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        this.onGone.run();
    }

    /**
     * Waits until the response asks for more, then hands it {@code text}.
     * @throws IOException when the client has gone, or an {@link InterruptedIOException} when the hub ended the
     * stream meanwhile
     */
    @Override
    public void write(String text) throws IOException {
        FluxSink<DataBuffer> writing;
        this.lock.lock();
        try {
            long subscribeDeadline = System.nanoTime() + SUBSCRIBE_TIMEOUT.toNanos();
            while (!this.cancelled && !this.closed && (this.sink == null || this.demand == 0)) {
                if (this.sink == null) {
                    long left = subscribeDeadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("The response was never written: the client went before it began");
                    }
                    this.changed.awaitNanos(left);
                }
                else {
                    this.changed.await();
                }
            }
            if (this.cancelled || this.closed) {
                throw new IOException("The client has gone");
            }
            if (this.demand != Long.MAX_VALUE) {
                this.demand--;
            }
            writing = this.sink;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Ended while waiting for the client to read");
        }
        finally {
            this.lock.unlock();
        }
        // Heap buffers, which need no release should the connection drop them.
        writing.next(DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        FluxSink<DataBuffer> closing;
        this.lock.lock();
        try {
            if (this.closed) {
                return;
            }
            this.closed = true;
            closing = this.sink;
            this.changed.signalAll();
        }
        finally {
            this.lock.unlock();
        }
        if (closing != null) {
            closing.complete();
        }
    }

}
