package dev.pgbroadcaster.web;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.ListenerSessions;
import dev.pgbroadcaster.PgNotifier;
import dev.pgbroadcaster.testsupport.TestDatabase;
import dev.pgbroadcaster.web.SseClient.SseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The event stream with the journal: each event's id is its position, and a client that comes back with it (as a
 * browser's {@code EventSource} does by itself) first gets every change it missed, in order, then the live ones;
 * across the listener's own reconnects nothing is missed either. A change that committed just before the one it
 * came back from may come again (the journal's reader knows what it handed over only up to its last read), so these
 * tests look for what was missed in order, not for the exact list.
 */
class EventStreamResumeTests {

    private static final String CHANNEL = TestDatabase.uniqueName("sse_journal");

    private static final String APPLICATION_NAME = TestDatabase.uniqueName("sse_resume");

    private static final String JOURNAL = TestDatabase.uniqueName("sse_journal_table");

    private static ConfigurableApplicationContext context;

    private static PgNotifier notifier;

    @BeforeAll
    static void start() {
        context = EventStreamApplication.start(EventStreamApplication.Open.class, "pg.broadcaster.channel=" + CHANNEL,
                "pg.broadcaster.payload-types[0].channel=" + CHANNEL, "pg.broadcaster.payload-types[0].type=raw",
                "pg.broadcaster.web.channels=" + CHANNEL, "pg.broadcaster.journal.enabled=true",
                "pg.broadcaster.journal.table=" + JOURNAL, "pg.broadcaster.application-name=" + APPLICATION_NAME,
                "pg.broadcaster.reconnect.initial-delay=50ms");
        notifier = context.getBean(PgNotifier.class);
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    @Test
    void aClientThatComesBackGetsWhatItMissedThenTheLiveChangesEachOnce() {
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
            notifier.send(CHANNEL, "a6");
            assertThat(client.next(2)).containsExactly(event("a5"), event("a6"));
            // The id of a replayed change resumes from it in turn.
            assertThat(client.idOf(event("a4"))).isNotEqualTo(lastSeen);
        }
    }

    @Test
    void aClientThatLeavesBeforeItsFirstEventComesBackFromWhereItStarted() {
        String started;
        try (SseClient client = open(null)) {
            await().atMost(Inbox.DEADLINE).until(() -> client.lastEventId() != null);
            started = client.lastEventId();
        }
        notifier.send(CHANNEL, "b1");
        try (SseClient client = open(started)) {
            assertThat(client.upTo(CHANNEL, "b1")).isNotEmpty();
        }
    }

    @Test
    void aChangeThatCommitsAfterOneWrittenAfterItIsNotMissed() throws SQLException {
        try (Connection slow = TestDatabase.get().connect()) {
            slow.setAutoCommit(false);
            // Takes its journal row's id first, and commits last.
            write(slow, "c1 taken first, committed last");
            String seen;
            try (SseClient client = open(null)) {
                notifier.send(CHANNEL, "c2");
                assertThat(client.next()).isEqualTo(event("c2"));
                seen = client.idOf(event("c2"));
            }
            slow.commit();
            try (SseClient client = open(seen)) {
                assertThat(client.upTo(CHANNEL, "c1 taken first, committed last")).doesNotContain(event("c2"));
                notifier.send(CHANNEL, "c3");
                assertThat(client.next()).isEqualTo(event("c3"));
            }
        }
    }

    @Test
    void whatCommitsWhileTheListenerIsAwayComesAfterReconnectingAndThenLive() {
        try (SseClient client = open(null)) {
            notifier.send(CHANNEL, "d1");
            assertThat(client.next()).isEqualTo(event("d1"));
            terminateListener();
            assertThat(client.next()).isEqualTo(new SseEvent("reconnecting", "{\"reason\":\"listener-disconnected\"}"));
            notifier.send(CHANNEL, "d2");
            notifier.send(CHANNEL, "d3");
            List<SseEvent> after = client.upTo(CHANNEL, "d3");
            assertThat(after).containsSubsequence(event("d2"), event("d3")).doesNotContain(event("d1"))
                .noneMatch((event) -> event.name().equals("resync"));
            notifier.send(CHANNEL, "d4");
            assertThat(client.upTo(CHANNEL, "d4")).doesNotContain(event("d2"), event("d3"))
                .noneMatch((event) -> event.name().equals("resync"));
        }
    }

    @Test
    void aClientFromFurtherBackThanTheJournalReachesIsToldToResync() {
        try (SseClient client = open("1-" + Long.MAX_VALUE)) {
            assertThat(client.next()).isEqualTo(new SseEvent("resync", "{\"reason\":\"not-in-journal\"}"));
            notifier.send(CHANNEL, "e1");
            assertThat(client.next()).isEqualTo(event("e1"));
        }
    }

    @Test
    void anIdThatIsNotAPositionIsToldToResync() {
        try (SseClient client = open("0")) {
            assertThat(client.next()).isEqualTo(new SseEvent("resync", "{\"reason\":\"reconnected\"}"));
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

    private static void write(Connection connection, String payload) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT " + JOURNAL + "_write(?, ?)")) {
            statement.setString(1, CHANNEL);
            statement.setString(2, payload);
            statement.executeQuery().close();
        }
    }

    private static void terminateListener() {
        assertThat(ListenerSessions.terminate(APPLICATION_NAME)).isTrue();
    }

}
