package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ShutdownTests {

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("shutdown_test");

    @Test
    void closingLeavesNoSessionAndNoThreadBehind() {
        Set<Thread> before = broadcasterThreads();
        application().run((context) -> {
            context.getBean(Broadcaster.class).subscribe((notification) -> {
            });
            // The listener's, once the delivery check's short-lived sender has ended.
            ListenerSessions.awaitOneSession(this.applicationName);
            assertThat(sessions()).isEqualTo(1);
            assertThat(broadcasterThreads()).hasSizeGreaterThan(before.size());
            context.close();
            assertThat(broadcasterThreads()).isEqualTo(before);
            await().atMost(Inbox.DEADLINE).until(() -> sessions() == 0);
        });
    }

    @Test
    void closingDeliversWhatIsQueued() {
        application().withUserConfiguration(EventRecorder.HoldingFirstNotification.class).run((context) -> {
            EventRecorder.HoldingFirstNotification held = context.getBean(EventRecorder.HoldingFirstNotification.class);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            List<ChangeNotification> sent = sendSix(held, statistics);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
            // The listener connection goes first; only then may the held listener carry on.
            await().atMost(Inbox.DEADLINE).until(() -> sessions() == 0);
            assertThat(statistics.published()).isZero();
            held.release();
            closing.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(held.next(ChangeNotification.class, sent.size())).isEqualTo(sent);
            assertThat(statistics.published()).isEqualTo(sent.size());
            assertThat(statistics.undelivered()).isZero();
        });
    }

    @Test
    void whatCannotBeDeliveredWithinTheShutdownTimeoutIsCounted() {
        application().withPropertyValues("pg.broadcaster.shutdown-timeout=200ms")
            .withUserConfiguration(EventRecorder.HoldingFirstNotification.class)
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                Set<Thread> before = broadcasterThreads();
                sendSix(context.getBean(EventRecorder.HoldingFirstNotification.class), statistics);
                // The held listener never returns on its own: closing interrupts it after the timeout.
                context.close();
                assertThat(statistics.undelivered()).isEqualTo(5);
                // The held one was handed to its listener, which failed when interrupted.
                assertThat(statistics.published()).isEqualTo(1);
                assertThat(statistics.listenerErrors()).isEqualTo(1);
                assertThat(broadcasterThreads()).isSubsetOf(before);
            });
    }

    @Test
    void whatWasReadTogetherAndNotStartedWithinTheShutdownTimeoutIsCounted() {
        application().withPropertyValues("pg.broadcaster.shutdown-timeout=200ms")
            .withUserConfiguration(EventRecorder.HoldingFirstNotification.class)
            .run((context) -> {
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                List<ChangeNotification> six = IntStream.range(0, 6).mapToObj((i) -> change("t" + i, "INSERT")).toList();
                // One transaction: the six come in one read, and the first is held while the rest wait behind it.
                OverflowPolicyTests.sendInOneTransaction(this.channel, six);
                context.getBean(EventRecorder.HoldingFirstNotification.class).awaitHeld();
                await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == 6);
                context.close();
                assertThat(statistics.undelivered()).isEqualTo(5);
                assertThat(statistics.published()).isEqualTo(1);
                assertThat(statistics.listenerErrors()).isEqualTo(1);
            });
    }

    private List<ChangeNotification> sendSix(EventRecorder.HoldingFirstNotification held, BroadcasterStatistics statistics) {
        List<ChangeNotification> sent = IntStream.range(0, 6).mapToObj((i) -> change("t" + i, "INSERT")).toList();
        send(this.channel, sent.get(0));
        held.awaitHeld();
        sent.subList(1, sent.size()).forEach((notification) -> send(this.channel, notification));
        await().atMost(Inbox.DEADLINE).until(() -> statistics.received() == sent.size());
        return sent;
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel).withPropertyValues("pg.broadcaster.application-name=" + this.applicationName);
    }

    private int sessions() throws SQLException {
        try (Connection connection = TestDatabase.get().connect();
                PreparedStatement statement = connection
                    .prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, this.applicationName);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    static Set<Thread> broadcasterThreads() {
        return ListenerSessions.threads();
    }

}
