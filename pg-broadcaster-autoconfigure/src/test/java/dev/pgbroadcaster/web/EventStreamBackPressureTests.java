package dev.pgbroadcaster.web;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.testsupport.TestDatabase;
import dev.pgbroadcaster.web.SseClient.SseEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that do not keep up, and too many clients: a client that stops reading fills its socket and then its buffer,
 * and loses events (told with a gap event) or its stream, while a client beside it gets every event within a
 * deadline; one client more than the cap gets 503; closing the application ends every stream.
 */
@ExtendWith(OutputCaptureExtension.class)
class EventStreamBackPressureTests {

    /** Near NOTIFY's limit, so that the slow client's socket buffers fill after a few megabytes. */
    private static final String PAD = "x".repeat(7_000);

    /** How long each notification may take to reach the fast client while the slow one is stuck. */
    private static final Duration FAST_DEADLINE = Duration.ofSeconds(2);

    /** Most notifications sent before the slow client must have overflowed: about 35 MB. */
    private static final int MAX_SENT = 5_000;

    private static final Pattern NUMBER = Pattern.compile("\\{\"n\":(\\d+),");

    private final String channel = Broadcasting.channel();

    @Test
    void aClientThatStopsReadingLosesEventsToldWithAGapWhileTheOtherGetsEveryOneInTime() throws Exception {
        try (ConfigurableApplicationContext context = start("pg.broadcaster.web.overflow=gap")) {
            EventStreamHub hub = context.getBean(EventStreamHub.class);
            HttpResponse<InputStream> slow = SseClient.openAndStopReading(EventStreamApplication.events(context, ""));
            try (SseClient fast = SseClient.open(EventStreamApplication.events(context, ""));
                    Connection sender = TestDatabase.get().connect()) {
                Latencies latencies = new Latencies();
                int sent = 0;
                // Until the slow client has overflowed, and as many again after, each one awaited at the fast client.
                int extra = -1;
                while (extra != 0 && sent < MAX_SENT) {
                    sendAndAwait(sender, fast, ++sent, latencies);
                    if (extra < 0 && hub.dropped() > 0) {
                        extra = 50;
                    }
                    else if (extra > 0) {
                        extra--;
                    }
                }
                assertThat(hub.dropped()).as("dropped after %d sent", sent).isPositive();
                assertThat(latencies.max()).as("slowest arrival at the fast client, %s", latencies).isLessThan(FAST_DEADLINE);
                long dropped = hub.dropped();
                int last = sent + 1;
                // The slow client reads again: the backlog, then the gap in the place of what was dropped, then live.
                List<SseEvent> slowEvents = readUntil(slow, "{\"n\":" + last + ",", () -> send(sender, last));
                long told = slowEvents.stream().filter((event) -> event.name().equals("gap"))
                    .mapToLong((event) -> Long.parseLong(event.data().replaceAll("\\D", ""))).sum();
                long received = slowEvents.stream().filter((event) -> event.name().equals(this.channel)).count();
                assertThat(told).isEqualTo(dropped);
                assertThat(received + told).isEqualTo(last);
                assertThat(slowEvents).last().extracting(SseEvent::name).isEqualTo(this.channel);
                assertThat(numbers(slowEvents)).isSorted();
                System.out.println("Gap policy: " + sent + " sent, " + dropped + " dropped for the slow client; fast client " + latencies);
            }
            finally {
                SseClient.close(slow);
            }
        }
    }

    @Test
    void withTheDisconnectPolicyAClientThatStopsReadingLosesItsStream() throws Exception {
        try (ConfigurableApplicationContext context = start("pg.broadcaster.web.overflow=disconnect")) {
            EventStreamHub hub = context.getBean(EventStreamHub.class);
            HttpResponse<InputStream> slow = SseClient.openAndStopReading(EventStreamApplication.events(context, ""));
            try (SseClient fast = SseClient.open(EventStreamApplication.events(context, ""));
                    Connection sender = TestDatabase.get().connect()) {
                await().atMost(Inbox.DEADLINE).until(() -> hub.clients() == 2);
                Latencies latencies = new Latencies();
                int sent = 0;
                while (hub.disconnects(DisconnectReason.SLOW) == 0 && sent < MAX_SENT) {
                    sendAndAwait(sender, fast, ++sent, latencies);
                }
                assertThat(hub.disconnects(DisconnectReason.SLOW)).as("after %d sent", sent).isEqualTo(1);
                assertThat(hub.clients()).isEqualTo(1);
                for (int i = 0; i < 20; i++) {
                    sendAndAwait(sender, fast, ++sent, latencies);
                }
                assertThat(latencies.max()).as("slowest arrival at the fast client, %s", latencies).isLessThan(FAST_DEADLINE);
                // Reading again, it gets what was written before, then the end of the stream.
                List<SseEvent> slowEvents = readUntil(slow, null, () -> { });
                assertThat(slowEvents).isNotEmpty().allMatch((event) -> event.name().equals(this.channel));
                assertThat(hub.disconnects(DisconnectReason.GONE)).isZero();
                System.out.println("Disconnect policy: slow client closed after " + sent + " sent; fast client " + latencies);
            }
            finally {
                SseClient.close(slow);
            }
        }
    }

    @Test
    void oneClientMoreThanTheCapGets503NamingTheProperty() throws Exception {
        try (ConfigurableApplicationContext context = start("pg.broadcaster.web.max-clients=2")) {
            EventStreamHub hub = context.getBean(EventStreamHub.class);
            try (SseClient first = SseClient.open(EventStreamApplication.events(context, ""));
                    SseClient second = SseClient.open(EventStreamApplication.events(context, ""))) {
                assertThat(first.status()).isEqualTo(200);
                assertThat(second.status()).isEqualTo(200);
                try (SseClient third = SseClient.open(EventStreamApplication.events(context, ""))) {
                    assertThat(third.status()).isEqualTo(503);
                    assertThat(third.refusal()).contains("pg.broadcaster.web.max-clients=2");
                }
                first.close();
                // The next heartbeat finds it gone, and its place is free again.
                await().atMost(Inbox.DEADLINE).until(() -> hub.clients() == 1);
                try (SseClient again = SseClient.open(EventStreamApplication.events(context, ""))) {
                    assertThat(again.status()).isEqualTo(200);
                    assertThat(again.nextComment()).isEqualTo("pg-broadcaster");
                }
            }
        }
    }

    @Test
    void closingTheApplicationEndsEveryStreamBeforeTheBroadcasterStops(CapturedOutput output) throws Exception {
        ConfigurableApplicationContext context = start();
        EventStreamHub hub = context.getBean(EventStreamHub.class);
        try (SseClient first = SseClient.open(EventStreamApplication.events(context, ""));
                SseClient second = SseClient.open(EventStreamApplication.events(context, ""))) {
            await().atMost(Inbox.DEADLINE).until(() -> hub.clients() == 2);
            context.close();
            assertThat(first.endsWithin(Inbox.DEADLINE)).isTrue();
            assertThat(second.endsWithin(Inbox.DEADLINE)).isTrue();
        }
        assertThat(hub.disconnects(DisconnectReason.SHUTDOWN)).isEqualTo(2);
        String log = output.getOut();
        assertThat(log).contains("pg-broadcaster closed 2 of 2 event streams on shutdown", "pg-broadcaster stopped");
        assertThat(log.indexOf("event streams on shutdown")).isLessThan(log.indexOf("pg-broadcaster stopped"));
    }

    private ConfigurableApplicationContext start(String... properties) {
        List<String> all = new ArrayList<>(List.of("pg.broadcaster.channel=" + this.channel,
                "pg.broadcaster.payload-types[0].channel=" + this.channel, "pg.broadcaster.payload-types[0].type=raw",
                "pg.broadcaster.web.channels=" + this.channel, "pg.broadcaster.web.buffer-size=16",
                "pg.broadcaster.web.heartbeat=200ms"));
        all.addAll(Arrays.asList(properties));
        return application(all.toArray(new String[0]));
    }

    /**
     * Starts the application the tests run against: Spring MVC on Tomcat here, WebFlux on Netty in a subclass.
     */
    ConfigurableApplicationContext application(String... properties) {
        return EventStreamApplication.start(EventStreamApplication.Open.class, properties);
    }

    private void sendAndAwait(Connection sender, SseClient fast, int number, Latencies latencies) throws SQLException {
        long sentAt = System.nanoTime();
        send(sender, number);
        SseEvent event = fast.next();
        latencies.add(System.nanoTime() - sentAt);
        assertThat(event.name()).isEqualTo(this.channel);
        assertThat(event.data()).startsWith("{\"n\":" + number + ",");
    }

    private void send(Connection sender, int number) throws SQLException {
        try (PreparedStatement notify = sender.prepareStatement("SELECT pg_notify(?, ?)")) {
            notify.setString(1, this.channel);
            notify.setString(2, "{\"n\":" + number + ",\"pad\":\"" + PAD + "\"}");
            notify.execute();
        }
    }

    /**
     * Reads a stream that had stopped: every event up to the first whose data starts with {@code last}, or to its
     * end when {@code last} is {@code null}; {@code afterFirstGap} runs once a gap event was read.
     */
    private static List<SseEvent> readUntil(HttpResponse<InputStream> response, String last, ThrowingRunnable afterFirstGap)
            throws Exception {
        List<SseEvent> events = new ArrayList<>();
        Thread reader = Thread.currentThread();
        long deadline = System.nanoTime() + Inbox.DEADLINE.toNanos();
        BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        String name = null;
        StringBuilder data = null;
        boolean toldGap = false;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            assertThat(System.nanoTime()).as("read within %s", Inbox.DEADLINE).isLessThan(deadline);
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            }
            else if (line.startsWith("data: ")) {
                data = (data == null) ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
            }
            else if (line.isEmpty() && data != null) {
                SseEvent event = new SseEvent(name, data.toString());
                events.add(event);
                name = null;
                data = null;
                if (event.name().equals("gap") && !toldGap) {
                    toldGap = true;
                    afterFirstGap.run();
                }
                if (last != null && event.data().startsWith(last)) {
                    return events;
                }
            }
        }
        assertThat(reader).isNotNull();
        assertThat(last).as("the stream ended before " + last).isNull();
        return events;
    }

    private static List<Integer> numbers(List<SseEvent> events) {
        List<Integer> numbers = new ArrayList<>();
        for (SseEvent event : events) {
            Matcher matcher = NUMBER.matcher(event.data());
            if (matcher.lookingAt()) {
                numbers.add(Integer.parseInt(matcher.group(1)));
            }
        }
        return numbers;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {

        void run() throws Exception;

    }

    /**
     * Times from sending a notification to its arrival at a client.
     */
    private static final class Latencies {

        private final List<Long> nanos = new ArrayList<>();

        void add(long latency) {
            this.nanos.add(latency);
        }

        Duration max() {
            return Duration.ofNanos(this.nanos.stream().mapToLong(Long::longValue).max().orElse(0));
        }

        Duration percentile(double fraction) {
            List<Long> sorted = this.nanos.stream().sorted().toList();
            return Duration.ofNanos(sorted.get((int) Math.min(sorted.size() - 1, Math.floor(fraction * sorted.size()))));
        }

        @Override
        public String toString() {
            return this.nanos.size() + " arrivals, p50 " + percentile(0.5).toNanos() / 1000 + " µs, p99 "
                    + percentile(0.99).toNanos() / 1000 + " µs, max " + max().toNanos() / 1000 + " µs";
        }

    }

}
