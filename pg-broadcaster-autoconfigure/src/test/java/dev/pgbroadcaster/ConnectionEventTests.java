package dev.pgbroadcaster;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link BroadcasterConnectedEvent} and {@link BroadcasterDisconnectedEvent}: when they are published, what they
 * say, their order with the notifications, and that no overflow policy drops them.
 */
class ConnectionEventTests {

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("events_test");

    @Test
    void theFirstConnectionIsAnnouncedBeforeAnyNotification() {
        application().withUserConfiguration(EventRecorder.class).run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            send(this.channel, change("first", "INSERT"));
            BroadcasterConnectedEvent connected = events.nextInOrder(BroadcasterConnectedEvent.class);
            assertThat(connected.reconnect()).isFalse();
            assertThat(connected.downtime()).isZero();
            assertThat(connected.channels()).containsExactly(this.channel);
            assertThat(connected.connectedAt()).isNotNull();
            // Host and port as the URL names them, nothing more.
            assertThat(connected.server()).matches("[^/@?]+:\\d+");
            assertThat(TestDatabase.get().jdbcUrl()).contains(connected.server());
            assertThat(connected.serverChanged()).isFalse();
            assertThat(events.nextInOrder(ChangeNotification.class)).isEqualTo(change("first", "INSERT"));
        });
    }

    @Test
    void anEventMadeWithTheEarlierConstructorsNamesNoServer() {
        BroadcasterConnectedEvent plain = new BroadcasterConnectedEvent(List.of("c"), true, Duration.ofSeconds(1),
                Instant.now());
        BroadcasterConnectedEvent replayed = new BroadcasterConnectedEvent(List.of("c"), true, Duration.ofSeconds(1),
                Instant.now(), 3, true);
        assertThat(plain.server()).isNull();
        assertThat(plain.serverChanged()).isFalse();
        assertThat(plain.complete()).isFalse();
        assertThat(replayed.server()).isNull();
        assertThat(replayed.serverChanged()).isFalse();
        assertThat(replayed.replayed()).isEqualTo(3);
    }

    @Test
    void aLostConnectionIsAnnouncedWithItsCauseThenTheReconnectWithItsDowntime() {
        application().withUserConfiguration(EventRecorder.class).run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            BroadcasterConnectedEvent first = events.nextInOrder(BroadcasterConnectedEvent.class);
            assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();

            BroadcasterDisconnectedEvent lost = events.nextInOrder(BroadcasterDisconnectedEvent.class);
            assertThat(lost.reconnecting()).isTrue();
            assertThat(lost.channels()).containsExactly(this.channel);
            assertThat(lost.cause()).isInstanceOf(SQLException.class);
            // 57P01: terminating connection due to administrator command.
            assertThat(((SQLException) lost.cause()).getSQLState()).isEqualTo("57P01");

            BroadcasterConnectedEvent back = events.nextInOrder(BroadcasterConnectedEvent.class);
            assertThat(back.reconnect()).isTrue();
            assertThat(back.downtime()).isPositive();
            assertThat(back.connectedAt()).isAfterOrEqualTo(lost.disconnectedAt());
            assertThat(back.server()).isEqualTo(first.server());
            assertThat(back.serverChanged()).isFalse();
            send(this.channel, change("after", "INSERT"));
            assertThat(events.nextInOrder(ChangeNotification.class)).isEqualTo(change("after", "INSERT"));
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            assertThat(statistics.reconnects()).isEqualTo(1);
            assertThat(statistics.connected()).isTrue();
        });
    }

    @Test
    void listenIsIssuedBeforeTheConnectedEventSoWhatAResyncListenerSendsArrives() {
        AtomicInteger connections = new AtomicInteger();
        // What a resync does: work that reads or writes the database, right when the listener is back.
        EventRecorder.OnConnect resync = (event) -> TestDatabase.get()
            .notify(event.channels().get(0), change("sent-on-connect-" + connections.incrementAndGet(), "INSERT").toString());
        application().withBean(EventRecorder.OnConnect.class, () -> resync)
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder received = context.getBean(EventRecorder.class);
                assertThat(received.next(ChangeNotification.class)).isEqualTo(change("sent-on-connect-1", "INSERT"));
                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                assertThat(received.next(ChangeNotification.class)).isEqualTo(change("sent-on-connect-2", "INSERT"));
            });
    }

    @ParameterizedTest
    @ValueSource(strings = { "drop-newest", "drop-oldest" })
    void noOverflowPolicyDropsAConnectionEventNorHoldsUpTheListenerForIt(String policy) {
        application().withPropertyValues("pg.broadcaster.dispatch.queue-capacity=2",
                "pg.broadcaster.dispatch.overflow-policy=" + policy)
            .withUserConfiguration(EventRecorder.HoldingFirstNotification.class)
            .run((context) -> {
                EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                await().atMost(Inbox.DEADLINE).until(statistics::connected);
                send(this.channel, change("held", "INSERT"));
                held.awaitHeld();
                for (int i = 0; i < 5; i++) {
                    send(this.channel, change("t" + i, "INSERT"));
                }
                await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 6);
                // The queue is full of notifications and its only thread is held: the listener must still get
                // both events in, and go on reading.
                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                await().atMost(Inbox.DEADLINE).until(() -> statistics.reconnects() == 1);
                send(this.channel, change("after", "INSERT"));
                await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 7);
                held.release();

                List<Object> published = held
                    .inOrderUpToFirst((event) -> event instanceof BroadcasterConnectedEvent connected && connected.reconnect());
                assertThat(published).filteredOn(BroadcasterConnectedEvent.class::isInstance).hasSize(2);
                assertThat(published.get(published.size() - 2)).isInstanceOf(BroadcasterDisconnectedEvent.class);
                await().atMost(Inbox.DEADLINE)
                    .until(() -> statistics.published() + statistics.dropped() == statistics.received());
                assertThat(statistics.dropped()).isPositive();
            });
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms");
    }

}
