package dev.pgbroadcaster.benchmark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Many SSE clients in one process on one thread: a selector over their sockets, each response read as HTTP/1.1
 * (chunked or not) and split into lines by hand, and of each event's data only its two numbers read, so that a
 * million events a second cost the client side as little as the machine allows. ({@code java.net.http.HttpClient}
 * with a subscriber per stream was tried first: about twice the CPU per event delivered, a core at 100 clients.)
 * Each client counts the events of the measured range it got (once each), duplicates, {@code gap} and
 * {@code resync} events, and times every event from its send to the read that brought it
 * ({@link LatencyHistogram#nowMicros()}, once per read).
 */
final class SseClients implements AutoCloseable {

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] SEQ = "\"seq\":".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] SENT = "\"sentMicros\":".getBytes(StandardCharsets.US_ASCII);

    private final byte[] channel;

    private final Selector selector;

    private final Thread reader;

    private final Queue<Client> registering = new ConcurrentLinkedQueue<>();

    private final List<Client> clients = new ArrayList<>();

    private volatile boolean running = true;

    private volatile LatencyHistogram latencies = new LatencyHistogram();

    private volatile int expected;

    SseClients(String channel) throws IOException {
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
        this.selector = Selector.open();
        this.reader = new Thread(this::read, "sse-clients");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Opens {@code count} streams and waits until each has had its response head and first line, or failed.
     * @return how many opened
     */
    int open(URI uri, int count, long timeoutSeconds) throws IOException, InterruptedException {
        byte[] request = ("GET " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        List<Client> opening = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SocketChannel socket = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                socket.write(out);
            }
            socket.configureBlocking(false);
            Client client = new Client(socket);
            opening.add(client);
            this.registering.add(client);
            this.selector.wakeup();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (opening.stream().anyMatch((client) -> !client.open && !client.hasEnded())
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        int opened = 0;
        for (Client client : opening) {
            synchronized (this.clients) {
                this.clients.add(client);
            }
            if (client.open) {
                opened++;
            }
        }
        return opened;
    }

    private void read() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        byte[] bytes = new byte[buffer.capacity()];
        while (this.running) {
            try {
                this.selector.select(100);
                Client added;
                while ((added = this.registering.poll()) != null) {
                    added.socket.register(this.selector, SelectionKey.OP_READ, added);
                }
                for (SelectionKey key : this.selector.selectedKeys()) {
                    Client client = (Client) key.attachment();
                    buffer.clear();
                    int read;
                    try {
                        read = client.socket.read(buffer);
                    }
                    catch (IOException ex) {
                        read = -1;
                        client.ended(ex.toString());
                    }
                    if (read < 0) {
                        client.ended("the server closed the stream");
                        key.cancel();
                        continue;
                    }
                    buffer.flip();
                    buffer.get(bytes, 0, read);
                    client.bytes(bytes, read, LatencyHistogram.nowMicros());
                }
                this.selector.selectedKeys().clear();
            }
            catch (IOException | RuntimeException ex) {
                if (this.running) {
                    System.out.println("SSE clients: " + ex);
                }
            }
        }
    }

    /** Starts counting afresh: the events numbered 0 to {@code expected} - 1 are the measured ones. */
    void measure(int expected) {
        this.expected = expected;
        this.latencies = new LatencyHistogram();
        for (Client client : clients()) {
            client.reset(expected);
        }
    }

    /** Whether every open client has seen ping {@code seq} (negative) or a later one. */
    boolean allSawPing(long seq) {
        return clients().stream().allMatch((client) -> !client.open || client.lastPing() <= seq);
    }

    /** Waits until every client got every measured event, or the deadline passes. */
    boolean awaitAll(long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            if (clients().stream().allMatch((client) -> client.received() >= this.expected || client.hasEnded())) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    LatencyHistogram latencies() {
        return this.latencies;
    }

    /** The clients whose streams opened. */
    List<Client> clients() {
        synchronized (this.clients) {
            return this.clients.stream().filter((client) -> client.open).toList();
        }
    }

    /** Every client, opened or not. */
    List<Client> all() {
        synchronized (this.clients) {
            return new ArrayList<>(this.clients);
        }
    }

    /** Closes every stream. */
    @Override
    public void close() throws Exception {
        this.running = false;
        this.selector.wakeup();
        this.reader.join(5_000);
        for (Client client : all()) {
            client.socket.close();
        }
        this.selector.close();
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

    /** One stream; its bytes are read by the selector thread only, its counts also by the benchmark's. */
    final class Client {

        private static final int HEAD = 0;

        private static final int CHUNK_SIZE = 1;

        private static final int CHUNK_DATA = 2;

        private static final int CHUNK_END = 3;

        private static final int PLAIN = 4;

        private final SocketChannel socket;

        private int state = HEAD;

        private final StringBuilder head = new StringBuilder();

        private long chunkLeft;

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

        Client(SocketChannel socket) {
            this.socket = socket;
        }

        synchronized void bytes(byte[] bytes, int count, long now) {
            int at = 0;
            while (at < count) {
                switch (this.state) {
                    case HEAD -> {
                        this.head.append((char) bytes[at++]);
                        if (this.head.length() >= 4 && this.head.lastIndexOf("\r\n\r\n") == this.head.length() - 4) {
                            String text = this.head.toString();
                            if (!text.startsWith("HTTP/1.1 200")) {
                                ended(text.substring(0, text.indexOf('\r')));
                                return;
                            }
                            this.state = text.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")
                                    ? CHUNK_SIZE : PLAIN;
                        }
                    }
                    case CHUNK_SIZE -> {
                        byte next = bytes[at++];
                        if (next == '\n') {
                            this.state = this.chunkLeft == 0 ? CHUNK_END : CHUNK_DATA;
                            if (this.chunkLeft == 0) {
                                ended("the server ended the response");
                            }
                        }
                        else if (Character.digit(next, 16) >= 0) {
                            this.chunkLeft = this.chunkLeft * 16 + Character.digit(next, 16);
                        }
                    }
                    case CHUNK_DATA -> {
                        int take = (int) Math.min(this.chunkLeft, count - at);
                        body(bytes, at, take, now);
                        at += take;
                        this.chunkLeft -= take;
                        if (this.chunkLeft == 0) {
                            this.state = CHUNK_END;
                        }
                    }
                    case CHUNK_END -> {
                        if (bytes[at++] == '\n') {
                            this.state = CHUNK_SIZE;
                        }
                    }
                    default -> {
                        body(bytes, at, count - at, now);
                        at = count;
                    }
                }
            }
        }

        private void body(byte[] bytes, int from, int count, long now) {
            for (int i = from; i < from + count; i++) {
                byte next = bytes[i];
                if (next == '\n') {
                    line(now);
                    this.length = 0;
                }
                else if (next != '\r') {
                    if (this.length == this.line.length) {
                        this.line = Arrays.copyOf(this.line, this.length * 2);
                    }
                    this.line[this.length++] = next;
                }
            }
        }

        private void line(long now) {
            this.open = true;
            if (this.length == 0) {
                this.ours = false;
            }
            else if (startsWith(EVENT)) {
                int name = EVENT.length;
                this.ours = this.length - name == SseClients.this.channel.length && Arrays.equals(this.line, name,
                        this.length, SseClients.this.channel, 0, SseClients.this.channel.length);
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
            return this.length >= prefix.length && Arrays.equals(this.line, 0, prefix.length, prefix, 0, prefix.length);
        }

        private long number(byte[] key) {
            for (int at = DATA.length; at + key.length <= this.length; at++) {
                if (Arrays.equals(this.line, at, at + key.length, key, 0, key.length)) {
                    int i = at + key.length;
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
