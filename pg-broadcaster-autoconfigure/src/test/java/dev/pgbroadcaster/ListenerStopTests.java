package dev.pgbroadcaster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.testsupport.LoopbackProxy;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Closing the application returns promptly and leaves no thread and no session behind, whatever the listener is
 * doing: waiting to reconnect, in a round trip on a dead connection, or connecting to a server that never
 * answers. Each wait here is set far longer than the deadline the close must meet.
 */
class ListenerStopTests {

    /** Closing must finish well within this, though the listener waits much longer for each step. */
    private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(8);

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("stop_test");

    private final Set<Thread> threadsBefore = ListenerSessions.threads();

    private LoopbackProxy proxy;

    @AfterEach
    void closeProxy() {
        if (this.proxy != null) {
            this.proxy.close();
        }
    }

    @Test
    void closingDuringAReconnectWaitReturnsPromptly() {
        application().withPropertyValues("pg.broadcaster.reconnect.initial-delay=10m", "pg.broadcaster.reconnect.max-delay=10m")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder events = context.getBean(EventRecorder.class);
                events.nextInOrder(BroadcasterConnectedEvent.class);
                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                events.nextInOrder(BroadcasterDisconnectedEvent.class);
                closeWithinDeadline(context);
                assertNothingLeftBehind();
            });
    }

    @Test
    void closingWhileTheDatabaseIsStillDownSinceStartupReturnsPromptly() throws IOException {
        int unusedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            unusedPort = socket.getLocalPort();
        }
        application().withPropertyValues("pg.broadcaster.url=jdbc:postgresql://127.0.0.1:" + unusedPort + "/postgres",
                "pg.broadcaster.reconnect.initial-delay=10m", "pg.broadcaster.reconnect.max-delay=10m")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isFalse();
                closeWithinDeadline(context);
                assertNothingLeftBehind();
            });
    }

    @Test
    void closingDuringARoundTripOnADeadConnectionReturnsPromptly() {
        this.proxy = LoopbackProxy.to(TestDatabase.get().jdbcUrl());
        application().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(),
                "pg.broadcaster.liveness.interval=100ms", "pg.broadcaster.liveness.timeout=10m")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder events = context.getBean(EventRecorder.class);
                events.nextInOrder(BroadcasterConnectedEvent.class);
                send(this.channel, change("before", "INSERT"));
                events.nextInOrder(ChangeNotification.class);
                this.proxy.blackHoleOpenConnections();
                // The next validation round trip goes into the black hole and waits for its ten minutes.
                await().atMost(Inbox.DEADLINE).until(() -> this.proxy.bytesSwallowed() > 0);
                closeWithinDeadline(context);
                // The server cannot know the client went away until the network delivers again.
                this.proxy.close();
                assertNothingLeftBehind();
            });
    }

    @Test
    void closingWhileConnectingToAServerThatNeverAnswersReturnsPromptly() {
        this.proxy = LoopbackProxy.to(TestDatabase.get().jdbcUrl());
        application().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(),
                "pg.broadcaster.reconnect.initial-delay=10ms")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                EventRecorder events = context.getBean(EventRecorder.class);
                events.nextInOrder(BroadcasterConnectedEvent.class);
                this.proxy.blackHoleNewConnections(true);
                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                events.nextInOrder(BroadcasterDisconnectedEvent.class);
                // The reconnect attempt's startup message goes into the black hole; the attempt waits for an answer.
                await().atMost(Inbox.DEADLINE).until(() -> this.proxy.bytesSwallowed() > 0);
                closeWithinDeadline(context);
                assertThat(ListenerSessions.threads()).noneMatch((thread) -> thread.getName().equals("pg-broadcaster-listener"));
                // The abandoned attempt ends on its own once the driver's socket timeout gives up on it.
                await().atMost(Duration.ofSeconds(3L * JdbcListenerConnectionFactory.CONNECT_SOCKET_TIMEOUT_SECONDS))
                    .until(() -> ListenerSessions.threads().stream().noneMatch((thread) -> thread.getName().equals("pg-broadcaster-connect")));
                assertNothingLeftBehind();
            });
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel).withPropertyValues("pg.broadcaster.application-name=" + this.applicationName);
    }

    private static void closeWithinDeadline(AssertableApplicationContext context) throws Exception {
        CompletableFuture.runAsync(context::close).get(CLOSE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void assertNothingLeftBehind() {
        await().atMost(Inbox.DEADLINE).until(() -> this.threadsBefore.containsAll(ListenerSessions.threads()));
        await().atMost(Inbox.DEADLINE).until(() -> ListenerSessions.count(this.applicationName) == 0);
    }

}
