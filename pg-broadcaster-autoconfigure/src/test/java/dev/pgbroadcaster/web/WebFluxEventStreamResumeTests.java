package dev.pgbroadcaster.web;

import dev.pgbroadcaster.PgNotifier;
import dev.pgbroadcaster.testsupport.TestDatabase;
import dev.pgbroadcaster.web.SseClient.SseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resuming from the journal through the WebFlux endpoint on Netty: a client that comes back with the id of the last
 * event it got first gets what it missed, then the live changes, as through the Spring MVC endpoint
 * ({@link EventStreamResumeTests} has the rest, which the hub does alike for both).
 */
class WebFluxEventStreamResumeTests {

    private static final String CHANNEL = TestDatabase.uniqueName("sse_flux_journal");

    private static final String JOURNAL = TestDatabase.uniqueName("sse_flux_journal_table");

    private static ConfigurableApplicationContext context;

    private static PgNotifier notifier;

    @BeforeAll
    static void start() {
        context = EventStreamApplication.startReactive(EventStreamApplication.OpenReactive.class,
                "pg.broadcaster.channel=" + CHANNEL, "pg.broadcaster.payload-types[0].channel=" + CHANNEL,
                "pg.broadcaster.payload-types[0].type=raw", "pg.broadcaster.web.channels=" + CHANNEL,
                "pg.broadcaster.journal.enabled=true", "pg.broadcaster.journal.table=" + JOURNAL);
        notifier = context.getBean(PgNotifier.class);
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void aClientThatComesBackGetsWhatItMissedThenTheLiveChanges() {
        String lastSeen;
        try (SseClient client = open(null)) {
            notifier.send(CHANNEL, "a1");
            notifier.send(CHANNEL, "a2");
            assertThat(client.next(2)).containsExactly(event("a1"), event("a2"));
            lastSeen = client.idOf(event("a2"));
            assertThat(lastSeen).matches("\\d+-\\d+");
        }
        notifier.send(CHANNEL, "a3");
        notifier.send(CHANNEL, "a4");
        try (SseClient client = open(lastSeen)) {
            assertThat(client.upTo(CHANNEL, "a4")).containsSubsequence(event("a3"), event("a4")).doesNotContain(event("a2"));
            notifier.send(CHANNEL, "a5");
            assertThat(client.next()).isEqualTo(event("a5"));
        }
    }

    private static SseClient open(String lastEventId) {
        SseClient client = (lastEventId != null)
                ? SseClient.open(EventStreamApplication.events(context, ""), "Last-Event-ID", lastEventId)
                : SseClient.open(EventStreamApplication.events(context, ""));
        assertThat(client.status()).isEqualTo(200);
        return client;
    }

    private static SseEvent event(String data) {
        return new SseEvent(CHANNEL, data);
    }

}
