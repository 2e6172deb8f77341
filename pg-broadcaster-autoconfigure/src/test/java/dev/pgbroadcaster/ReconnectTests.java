package dev.pgbroadcaster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Duration;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(OutputCaptureExtension.class)
class ReconnectTests {

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("reconnect_test");

    @Test
    void listeningResumesAfterTheServerEndsTheListenerSession() {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName)
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder recorder = context.getBean(EventRecorder.class);
                send(this.channel, change("before", "INSERT"));
                assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change("before", "INSERT"));
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                assertThat(statistics.connected()).isTrue();
                assertThat(statistics.reconnects()).isZero();
                assertThat(statistics.lastNotificationAt()).isNotNull();

                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                // Until it is back, notifications are lost: keep sending until one arrives.
                ChangeNotification after = change("after", "INSERT");
                await().atMost(Inbox.DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> {
                    send(this.channel, after);
                    return recorder.poll(ChangeNotification.class, Duration.ofMillis(100)) != null;
                });
                ChangeNotification sentinel = change("sentinel", "INSERT");
                send(this.channel, sentinel);
                assertThat(recorder.upTo(ChangeNotification.class, sentinel)).last().isEqualTo(sentinel);
                assertThat(statistics.reconnects()).isEqualTo(1);
                assertThat(statistics.connected()).isTrue();
            });
    }

    @Test
    void afterMaxAttemptsTheListenerGivesUpAndSaysSo(CapturedOutput output) throws IOException {
        int unusedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            unusedPort = socket.getLocalPort();
        }
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=jdbc:postgresql://127.0.0.1:" + unusedPort + "/postgres",
                    "pg.broadcaster.reconnect.initial-delay=10ms", "pg.broadcaster.reconnect.max-attempts=3")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder events = context.getBean(EventRecorder.class);
                // First that it could not listen at startup, as for a lost connection, then that it gave up.
                BroadcasterDisconnectedEvent notListening = events.nextInOrder(BroadcasterDisconnectedEvent.class);
                assertThat(notListening.reconnecting()).isTrue();
                assertThat(notListening.cause()).isInstanceOf(SQLException.class).hasMessageContaining("refused");
                BroadcasterDisconnectedEvent gaveUp = events.nextInOrder(BroadcasterDisconnectedEvent.class);
                assertThat(gaveUp.reconnecting()).isFalse();
                assertThat(gaveUp.cause()).isInstanceOf(SQLException.class).hasMessageContaining("refused");
                assertThat(output.getOut()).contains("Gave up connecting", "after 4 attempts",
                        "pg.broadcaster.reconnect.max-attempts=3");
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isFalse();
                // The listener thread ends right after it hands the event over.
                await().atMost(Inbox.DEADLINE).until(() -> ListenerSessions.threads().stream()
                    .noneMatch((thread) -> thread.getName().equals("pg-broadcaster-listener")));
            });
    }

}
