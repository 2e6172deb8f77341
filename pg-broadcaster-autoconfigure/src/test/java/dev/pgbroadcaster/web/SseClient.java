package dev.pgbroadcaster.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.pgbroadcaster.Inbox;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client of the event stream, as a browser's {@code EventSource} reads it: line by line, each event dispatched at
 * its blank line, comments kept apart. Reads on a thread of its own into an {@link Inbox}, so the test waits for each
 * event with a deadline.
 */
final class SseClient implements AutoCloseable {

    private static final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Inbox.DEADLINE)
        .build();

    private final HttpResponse<Stream<String>> response;

    private final Inbox<SseEvent> events = new Inbox<>();

    private final Inbox<String> comments = new Inbox<>();

    private final Thread reader;

    private volatile boolean ended;

    /** The last event id, as a browser keeps it to send back as {@code Last-Event-ID}. */
    private volatile String lastEventId;

    private final Map<SseEvent, String> ids = new java.util.concurrent.ConcurrentHashMap<>();

    private SseClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-test-client");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Opens a stream, waiting for the response's headers; a refused one can be read with {@link #refusal()}.
     */
    static SseClient open(URI uri, String... headers) {
        try {
            return new SseClient(http.sendAsync(request(uri, headers), HttpResponse.BodyHandlers.ofLines())
                .get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        }
        catch (Exception ex) {
            throw new IllegalStateException("Could not open " + uri, ex);
        }
    }

    /**
     * Opens a stream and never reads it: a client that has stopped reading. Close it to let it go.
     */
    static HttpResponse<InputStream> openAndStopReading(URI uri, String... headers) {
        try {
            HttpResponse<InputStream> response = http.sendAsync(request(uri, headers), HttpResponse.BodyHandlers.ofInputStream())
                .get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            return response;
        }
        catch (Exception ex) {
            throw new IllegalStateException("Could not open " + uri, ex);
        }
    }

    static HttpRequest request(URI uri, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("Accept", "text/event-stream");
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    int status() {
        return this.response.statusCode();
    }

    String contentType() {
        return this.response.headers().firstValue("Content-Type").orElse("");
    }

    /**
     * Returns the body of a refused request.
     */
    String refusal() throws InterruptedException {
        assertThat(status()).isNotEqualTo(200);
        this.reader.join(Inbox.DEADLINE.toMillis());
        StringBuilder body = new StringBuilder();
        for (String line = this.comments.poll(Duration.ZERO); line != null; line = this.comments.poll(Duration.ZERO)) {
            body.append(line);
        }
        return body.toString();
    }

    /**
     * Returns the next event (comments aside), waiting at most {@link Inbox#DEADLINE}.
     */
    SseEvent next() {
        return this.events.next();
    }

    /**
     * Returns the next {@code count} events.
     */
    List<SseEvent> next(int count) {
        return this.events.next(count);
    }

    /**
     * Returns the events up to and including the first named {@code name} with {@code data}.
     */
    List<SseEvent> upTo(String name, String data) {
        return this.events.upTo(new SseEvent(name, data));
    }

    /**
     * Returns the id a browser would send back as {@code Last-Event-ID} now, or {@code null}.
     */
    String lastEventId() {
        return this.lastEventId;
    }

    /**
     * Returns the last event id when {@code event} arrived, or {@code null}.
     */
    String idOf(SseEvent event) {
        return this.ids.get(event);
    }

    /**
     * Returns the next comment line (without its colon), waiting at most {@link Inbox#DEADLINE}.
     */
    String nextComment() {
        return this.comments.next();
    }

    /**
     * Returns whether the server ended the stream, waiting at most {@code timeout}.
     */
    boolean endsWithin(Duration timeout) throws InterruptedException {
        this.reader.join(timeout.toMillis());
        return this.ended;
    }

    private void read() {
        boolean stream = status() == 200;
        String name = null;
        String id = null;
        List<String> data = new ArrayList<>();
        try {
            for (String line : (Iterable<String>) this.response.body()::iterator) {
                if (!stream) {
                    // A refusal: its text, kept as "comments" for refusal().
                    this.comments.add(line);
                }
                else if (line.isEmpty()) {
                    // As a browser does: the id is kept at a blank line, even one that ends no event.
                    if (id != null) {
                        this.lastEventId = id;
                    }
                    if (!data.isEmpty()) {
                        SseEvent event = new SseEvent((name != null) ? name : "message", String.join("\n", data));
                        if (this.lastEventId != null) {
                            this.ids.put(event, this.lastEventId);
                        }
                        this.events.add(event);
                    }
                    id = null;
                    name = null;
                    data.clear();
                }
                else if (line.startsWith(":")) {
                    this.comments.add(line.substring(1).strip());
                }
                else if (line.startsWith("event:")) {
                    name = value(line, "event:");
                }
                else if (line.startsWith("data:")) {
                    data.add(value(line, "data:"));
                }
                else if (line.startsWith("id:")) {
                    id = value(line, "id:");
                }
            }
            this.ended = true;
        }
        catch (RuntimeException ex) {
            // Closed by the test.
        }
    }

    private static String value(String line, String field) {
        String value = line.substring(field.length());
        return value.startsWith(" ") ? value.substring(1) : value;
    }

    @Override
    public void close() {
        this.response.body().close();
    }

    static void close(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * One event as a browser dispatches it.
     *
     * @param name its type ({@code message} when it named none)
     * @param data its data lines joined with line feeds
     */
    record SseEvent(String name, String data) {

    }

}
