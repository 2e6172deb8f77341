package dev.pgbroadcaster.web;

import java.util.List;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.web.SseClient.SseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The event stream of a WebFlux application on a real Netty, read as a browser reads it: names and data, filters,
 * the allow-list, heartbeats, resync, and a client that goes away. One application for the class; each test opens
 * its own streams.
 */
class WebFluxEventStreamTests {

    private static final String ORDERS = Broadcasting.channel();

    /** Not decoded: its payloads are any text. */
    private static final String AUDIT = Broadcasting.channel();

    /** Listened on, not streamed. */
    private static final String INTERNAL = Broadcasting.channel();

    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void start() {
        context = EventStreamApplication.startReactive(EventStreamApplication.OpenReactive.class,
                "pg.broadcaster.channels=" + ORDERS + "," + AUDIT + "," + INTERNAL,
                "pg.broadcaster.payload-types[0].channel=" + AUDIT, "pg.broadcaster.payload-types[0].type=raw",
                "pg.broadcaster.web.channels=" + ORDERS + "," + AUDIT, "pg.broadcaster.web.heartbeat=300ms");
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void theEndpointIsServedByWebFluxOnNetty() {
        assertThat(EventStreamApplication.webServer(context)).isEqualTo("NettyWebServer");
        assertThat(context.getBeansOfType(EventStreamHandler.class)).hasSize(1);
        assertThat(context.getBeansOfType(EventStreamController.class)).isEmpty();
    }

    @Test
    void eachNotificationArrivesNamedAfterItsChannelWithItsPayloadAsSent() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.contentType()).startsWith("text/event-stream");
            send(ORDERS, change("orders", "INSERT"));
            String typed = "{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"UPDATE\",\"id\":42,\"note\":\"été\"}";
            send(ORDERS, typed);
            send(AUDIT, "{\n  \"who\": \"alice\"\n}");
            assertThat(client.next()).isEqualTo(new SseEvent(ORDERS, change("orders", "INSERT").toString()));
            assertThat(client.next()).isEqualTo(new SseEvent(ORDERS, typed));
            assertThat(client.next()).isEqualTo(new SseEvent(AUDIT, "{\n  \"who\": \"alice\"\n}"));
        }
    }

    @Test
    void queryParametersFilterByChannelTableAndAction() {
        try (SseClient audit = SseClient.open(EventStreamApplication.events(context, "channel=" + AUDIT));
                SseClient orders = SseClient.open(EventStreamApplication.events(context, "table=orders"));
                SseClient deletes = SseClient.open(
                        EventStreamApplication.events(context, "channel=" + ORDERS + "&table=order_lines&table=orders&action=delete"))) {
            send(ORDERS, change("orders", "INSERT"));
            send(ORDERS, change("order_lines", "DELETE"));
            send(AUDIT, "not a change");
            send(ORDERS, change("orders", "DELETE"));
            send(AUDIT, "last");
            assertThat(audit.upTo(AUDIT, "last")).extracting(SseEvent::data).containsExactly("not a change", "last");
            assertThat(orders.next(2)).extracting(SseEvent::data)
                .containsExactly(change("orders", "INSERT").toString(), change("orders", "DELETE").toString());
            assertThat(deletes.next(2)).extracting(SseEvent::data)
                .containsExactly(change("order_lines", "DELETE").toString(), change("orders", "DELETE").toString());
            send(ORDERS, change("orders", "UPDATE"));
            assertThat(orders.next()).isEqualTo(new SseEvent(ORDERS, change("orders", "UPDATE").toString()));
        }
    }

    @Test
    void onlyTheChannelsListedAreStreamed() throws InterruptedException {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            send(INTERNAL, change("secrets", "INSERT"));
            send(AUDIT, "after");
            assertThat(client.next()).isEqualTo(new SseEvent(AUDIT, "after"));
        }
        try (SseClient refused = SseClient.open(EventStreamApplication.events(context, "channel=" + INTERNAL))) {
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.contentType()).startsWith("text/plain");
            assertThat(refused.refusal()).contains(INTERNAL, "is not streamed", "pg.broadcaster.web.channels");
        }
    }

    @Test
    void anIdleStreamGetsHeartbeats() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            assertThat(client.nextComment()).isEqualTo("pg-broadcaster");
            assertThat(client.nextComment()).isEqualTo("heartbeat");
            assertThat(client.nextComment()).isEqualTo("heartbeat");
        }
    }

    @Test
    void aBrowserThatReconnectsWithLastEventIdIsToldToResync() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""), "Last-Event-ID", "17")) {
            assertThat(client.next()).isEqualTo(new SseEvent("resync", "{\"reason\":\"reconnected\"}"));
            send(AUDIT, "live");
            assertThat(client.next()).isEqualTo(new SseEvent(AUDIT, "live"));
        }
    }

    @Test
    void aClientThatGoesAwayIsEndedAndItsWriterThreadWithIt() {
        EventStreamHub hub = context.getBean(EventStreamHub.class);
        long goneBefore = hub.disconnects(DisconnectReason.GONE);
        SseClient client = SseClient.open(EventStreamApplication.events(context, ""));
        assertThat(client.nextComment()).isEqualTo("pg-broadcaster");
        int clients = hub.clients();
        client.close();
        await().atMost(Inbox.DEADLINE).until(() -> hub.disconnects(DisconnectReason.GONE) > goneBefore);
        assertThat(hub.clients()).isLessThan(clients);
        await().atMost(Inbox.DEADLINE).until(() -> writerThreads().size() <= hub.clients());
    }

    // A client's writer, not the hub's fan-out thread.
    private static List<String> writerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter((name) -> name.matches("pg-broadcaster-sse-\\d+")).toList();
    }

}
