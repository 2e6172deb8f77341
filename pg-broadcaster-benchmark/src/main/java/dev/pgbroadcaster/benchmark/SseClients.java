package dev.pgbroadcaster.benchmark;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Many SSE clients in one process without a thread each: one {@link HttpClient} (HTTP/1.1, two executor threads)
 * whose responses go to a subscriber per client that splits the bytes into lines itself and reads only the two
 * numbers of each event's data, so that a million events a second cost the clients as little as possible. Each
 * client counts the events of the measured range it got (once each), duplicates, {@code gap} and {@code resync}
 * events, and times every event from its send ({@link LatencyHistogram#nowMicros()} when the bytes arrived).
 */
final class SseClients implements AutoCloseable {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] SENT = "\"sentMicros\":".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);

    private final ExecutorService executor = Executors.newFixedThreadPool(2, (task) -> {
        Thread thread = new Thread(task, "sse-clients");
        thread.setDaemon(true);
        return thread;
    });

    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .executor(this.executor)
        .build();

    private final byte[] channel;

    private final List<Client> clients = new ArrayList<>();

    private volatile LatencyHistogram latencies = new LatencyHistogram();

    private volatile int expected;

    SseClients(String channel) {
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Opens {@code count} streams, at most 50 being set up at once, and waits until each has had its first line or
     * failed.
     * @return how many opened
     */
    int open(URI uri, int count, long timeoutSeconds) throws InterruptedException {
        Semaphore setting = new Semaphore(50);
        List<Client> opening = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (int i = 0; i < count; i++) {
            if (!setting.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            }
            Client client = new Client(setting);
            opening.add(client);
            HttpRequest request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET().build();
            this.http.sendAsync(request, (info) -> {
                if (info.statusCode() != 200) {
                    client.failed("HTTP " + info.statusCode());
                    return HttpResponse.BodySubscribers.replacing(null);
                }
                return HttpResponse.BodySubscribers.fromSubscriber(client);
            }).whenComplete((response, ex) -> {
                if (ex != null) {
                    client.failed(ex.toString());
                }
                else {
                    client.ended("response ended");
                }
            });
        }
        setting.tryAcquire(50, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        int opened = 0;
        for (Client client : opening) {
            if (client.isOpen()) {
                this.clients.add(client);
                opened++;
            }
        }
        return opened;
    }

    /** Starts counting afresh: the events numbered 0 to {@code expected} - 1 are the measured ones. */
    void measure(int expected) {
        this.expected = expected;
        this.latencies = new LatencyHistogram();
        for (Client client : this.clients) {
            client.reset(expected);
        }
    }

    /** Whether every open client has seen ping {@code seq} (negative) or a later one. */
    boolean allSawPing(long seq) {
        return this.clients.stream().allMatch((client) -> client.lastPing() <= seq);
    }

    /** Waits until every client got every measured event, or the deadline passes. */
    boolean awaitAll(long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            if (this.clients.stream().allMatch((client) -> client.received() >= this.expected || client.hasEnded())) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    LatencyHistogram latencies() {
        return this.latencies;
    }

    List<Client> clients() {
        return this.clients;
    }

    /** Closes every stream. */
    @Override
    public void close() {
        for (Client client : this.clients) {
            client.cancel();
        }
        this.clients.clear();
        this.executor.shutdownNow();
    }

    /** The number after {@code key} in a payload, for the minimal loop's listener. */
    static long number(String payload, String key) {
        int at = payload.indexOf(key) + key.length();
        boolean negative = payload.charAt(at) == '-';
        long value = 0;
        for (int i = negative ? at + 1 : at; i < payload.length() && Character.isDigit(payload.charAt(i)); i++) {
            value = value * 10 + (payload.charAt(i) - '0');
        }
        return negative ? -value : value;
    }

    final class Client implements Flow.Subscriber<List<ByteBuffer>> {

        private final Semaphore setting;

        private Flow.Subscription subscription;

        private byte[] line = new byte[256];

        private int length;

        private boolean ours;

        private volatile boolean open;

        private volatile String end;

        private BitSet seen = new BitSet();

        private int received;

        private long duplicates;

        private long gaps;

        private long resyncs;

        private long lastPing;

        Client(Semaphore setting) {
            this.setting = setting;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public synchronized void onNext(List<ByteBuffer> buffers) {
            long now = LatencyHistogram.nowMicros();
            for (ByteBuffer buffer : buffers) {
                while (buffer.hasRemaining()) {
                    byte next = buffer.get();
                    if (next == '\n') {
                        line(now);
                        this.length = 0;
                    }
                    else if (next != '\r') {
                        if (this.length == this.line.length) {
                            this.line = java.util.Arrays.copyOf(this.line, this.length * 2);
                        }
                        this.line[this.length++] = next;
                    }
                }
            }
        }

        private void line(long now) {
            if (!this.open) {
                this.open = true;
                this.setting.release();
            }
            if (this.length == 0) {
                this.ours = false;
            }
            else if (startsWith(EVENT)) {
                int name = EVENT.length;
                this.ours = this.length - name == SseClients.this.channel.length
                        && java.util.Arrays.equals(this.line, name, this.length, SseClients.this.channel, 0,
                                SseClients.this.channel.length);
                if (!this.ours && this.length - name == 3 && this.line[name] == 'g') {
                    this.gaps++;
                }
                else if (!this.ours && this.length - name == 6 && this.line[name] == 'r') {
                    this.resyncs++;
                }
            }
            else if (this.ours && startsWith(DATA)) {
                long seq = number(SEQ);
                long sent = number(SENT);
                if (seq < 0) {
                    this.lastPing = Math.min(this.lastPing, seq);
                }
                else if (seq < SseClients.this.expected) {
                    if (this.seen.get((int) seq)) {
                        this.duplicates++;
                    }
                    else {
                        this.seen.set((int) seq);
                        this.received++;
                        SseClients.this.latencies.record(now - sent);
                    }
                }
            }
        }

        private boolean startsWith(byte[] prefix) {
            return this.length >= prefix.length
                    && java.util.Arrays.equals(this.line, 0, prefix.length, prefix, 0, prefix.length);
        }

        private long number(byte[] bytes) {
            for (int at = DATA.length; at + bytes.length <= this.length; at++) {
                if (java.util.Arrays.equals(this.line, at, at + bytes.length, bytes, 0, bytes.length)) {
                    int i = at + bytes.length;
                    boolean negative = this.line[i] == '-';
                    if (negative) {
                        i++;
                    }
                    long value = 0;
                    for (; i < this.length && this.line[i] >= '0' && this.line[i] <= '9'; i++) {
                        value = value * 10 + (this.line[i] - '0');
                    }
                    return negative ? -value : value;
                }
            }
            return Long.MIN_VALUE;
        }

        @Override
        public void onError(Throwable throwable) {
            ended(throwable.toString());
        }

        @Override
        public void onComplete() {
            ended("completed by the server");
        }

        void failed(String why) {
            ended(why);
            if (!this.open) {
                this.setting.release();
            }
        }

        void ended(String why) {
            if (this.end == null) {
                this.end = why;
            }
        }

        synchronized void reset(int expected) {
            this.seen = new BitSet(expected);
            this.received = 0;
            this.duplicates = 0;
            this.gaps = 0;
            this.resyncs = 0;
        }

        void cancel() {
            Flow.Subscription current = this.subscription;
            if (current != null) {
                current.cancel();
            }
        }

        boolean isOpen() {
            return this.open;
        }

        boolean hasEnded() {
            return this.end != null;
        }

        String end() {
            return this.end;
        }

        synchronized long lastPing() {
            return this.lastPing;
        }

        synchronized int received() {
            return this.received;
        }

        synchronized long duplicates() {
            return this.duplicates;
        }

        synchronized long gaps() {
            return this.gaps;
        }

        synchronized long resyncs() {
            return this.resyncs;
        }

    }

}
