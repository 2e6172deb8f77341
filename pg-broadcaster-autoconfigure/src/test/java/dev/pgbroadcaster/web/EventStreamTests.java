package dev.pgbroadcaster.web;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.ListenerSessions;
import dev.pgbroadcaster.testsupport.TestDatabase;
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
 * The event stream of a Spring MVC application on a real Tomcat, read as a browser reads it: names and data,
 * filters, the allow-list, heartbeats, resync, health and metrics. One application for the class; each test opens
 * its own streams.
 */
class EventStreamTests {

    private static final String ORDERS = Broadcasting.channel();

    /** Not decoded: its payloads are any text. */
    private static final String AUDIT = Broadcasting.channel();

    /** Listened on, not streamed. */
    private static final String INTERNAL = Broadcasting.channel();

    private static final String APPLICATION_NAME = TestDatabase.uniqueName("sse_test");

    private static ConfigurableApplicationContext context;

    @BeforeAll
    static void start() {
        context = EventStreamApplication.start(EventStreamApplication.Open.class,
                "pg.broadcaster.channels=" + ORDERS + "," + AUDIT + "," + INTERNAL,
                "pg.broadcaster.payload-types[0].channel=" + AUDIT, "pg.broadcaster.payload-types[0].type=raw",
                "pg.broadcaster.web.channels=" + ORDERS + "," + AUDIT, "pg.broadcaster.web.heartbeat=300ms",
                "pg.broadcaster.application-name=" + APPLICATION_NAME, "pg.broadcaster.reconnect.initial-delay=50ms");
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void eachNotificationArrivesNamedAfterItsChannelWithItsPayloadAsSent() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.contentType()).startsWith("text/event-stream");
            send(ORDERS, change("orders", "INSERT"));
            String typed = "{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"UPDATE\",\"id\":42,\"note\":\"été\"}";
            send(ORDERS, typed);
            // A payload over several lines arrives as several data lines, which a browser joins again.
            send(AUDIT, "{\n  \"who\": \"alice\"\n}");
            assertThat(client.next()).isEqualTo(new SseEvent(ORDERS, change("orders", "INSERT").toString()));
            assertThat(client.next()).isEqualTo(new SseEvent(ORDERS, typed));
            assertThat(client.next()).isEqualTo(new SseEvent(AUDIT, "{\n  \"who\": \"alice\"\n}"));
        }
    }

    @Test
    void queryParametersFilterByChannelTableAndAction() {
        try (SseClient all = SseClient.open(EventStreamApplication.events(context, ""));
                SseClient audit = SseClient.open(EventStreamApplication.events(context, "channel=" + AUDIT));
                SseClient orders = SseClient.open(EventStreamApplication.events(context, "table=orders"));
                SseClient deletes = SseClient.open(EventStreamApplication.events(context, "action=delete"));
                SseClient linesOrDeletes = SseClient.open(
                        EventStreamApplication.events(context, "channel=" + ORDERS + "&table=order_lines&table=orders&action=DELETE"))) {
            send(ORDERS, change("orders", "INSERT"));
            send(ORDERS, change("order_lines", "DELETE"));
            send(AUDIT, "not a change");
            send(ORDERS, change("orders", "delete"));
            send(AUDIT, change("orders", "DELETE"));
            send(AUDIT, "last");
            assertThat(all.upTo(AUDIT, "last")).hasSize(6);
            assertThat(audit.upTo(AUDIT, "last")).extracting(SseEvent::data)
                .containsExactly("not a change", change("orders", "DELETE").toString(), "last");
            // What is not a ChangeNotification (the audit channel is not decoded) matches no table or action filter.
            assertThat(orders.next(2)).extracting(SseEvent::data)
                .containsExactly(change("orders", "INSERT").toString(), change("orders", "delete").toString());
            assertThat(deletes.next(2)).extracting(SseEvent::data)
                .containsExactly(change("order_lines", "DELETE").toString(), change("orders", "delete").toString());
            assertThat(linesOrDeletes.next(2)).extracting(SseEvent::data)
                .containsExactly(change("order_lines", "DELETE").toString(), change("orders", "delete").toString());
            // Nothing else came before the next one each of them takes.
            send(ORDERS, change("orders", "DELETE"));
            for (SseClient client : List.of(orders, deletes, linesOrDeletes)) {
                assertThat(client.next()).isEqualTo(new SseEvent(ORDERS, change("orders", "DELETE").toString()));
            }
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
    void aStreamStartsWithAnIdSoThatABrowserThatReconnectsSendsOneBack() {
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            send(AUDIT, "first");
            assertThat(client.next()).isEqualTo(new SseEvent(AUDIT, "first"));
            // Without the journal the events have no id of their own; the stream's first one is kept.
            assertThat(client.lastEventId()).isEqualTo("0");
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
    void everyClientIsToldToResyncWhenTheListenerReconnects() {
        try (SseClient first = SseClient.open(EventStreamApplication.events(context, ""));
                SseClient second = SseClient.open(EventStreamApplication.events(context, "channel=" + AUDIT))) {
            send(AUDIT, "before");
            assertThat(first.next()).isEqualTo(new SseEvent(AUDIT, "before"));
            assertThat(second.next()).isEqualTo(new SseEvent(AUDIT, "before"));
            terminateListener();
            SseEvent reconnecting = new SseEvent("reconnecting", "{\"reason\":\"listener-disconnected\"}");
            SseEvent resync = new SseEvent("resync", "{\"reason\":\"listener-reconnected\"}");
            assertThat(first.next(2)).containsExactly(reconnecting, resync);
            assertThat(second.next(2)).containsExactly(reconnecting, resync);
            send(AUDIT, "after");
            assertThat(first.next()).isEqualTo(new SseEvent(AUDIT, "after"));
            assertThat(second.next()).isEqualTo(new SseEvent(AUDIT, "after"));
        }
    }

    @Test
    void healthAndMetricsCountTheClients() throws Exception {
        EventStreamHub hub = context.getBean(EventStreamHub.class);
        long goneBefore = hub.disconnects(DisconnectReason.GONE);
        try (SseClient client = SseClient.open(EventStreamApplication.events(context, ""))) {
            client.nextComment();
            String health = get(EventStreamApplication.uri(context, "/actuator/health/pgBroadcaster"));
            assertThat(health).contains("\"webClients\":" + hub.clients(), "\"webDropped\":0", "\"webDisconnects\":{");
            io.micrometer.core.instrument.MeterRegistry registry = context.getBean(io.micrometer.core.instrument.MeterRegistry.class);
            assertThat(registry.get("pg.broadcaster.web.clients").gauge().value()).isEqualTo(hub.clients()).isPositive();
        }
        // Gone: found by the next heartbeat, which fails.
        await().atMost(Inbox.DEADLINE).until(() -> hub.disconnects(DisconnectReason.GONE) > goneBefore);
        io.micrometer.core.instrument.MeterRegistry registry = context.getBean(io.micrometer.core.instrument.MeterRegistry.class);
        assertThat(registry.get("pg.broadcaster.web.disconnects").tag("reason", "gone").functionCounter().count())
            .isEqualTo(hub.disconnects(DisconnectReason.GONE));
    }

    static String get(URI uri) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    private static void terminateListener() {
        assertThat(ListenerSessions.terminate(APPLICATION_NAME)).isTrue();
    }

}
