package dev.pgbroadcaster.listening;

import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.Inbox;
import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.listening.LowLatencySocket;
import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * How a listener connection reads through {@link LowLatencySocket}: the driver's 1 ms probe is answered at
 * once, everything else waits as a plain socket does.
 */
class LowLatencySocketTests {

    private final String channel = Broadcasting.channel();

    @Test
    void theDriversProbeIsAnsweredWithoutWaitingWhenNothingIsBuffered() throws SQLException {
        List<LowLatencySocket> sockets = new ArrayList<>();
        try (Connection connection = connect(sockets, "")) {
            listen(connection);
            LowLatencySocket socket = sockets.get(sockets.size() - 1);
            long before = socket.probesAnsweredAtOnce();
            PGConnection pg = connection.unwrap(PGConnection.class);
            // Without a timeout, getNotifications() only asks whether a message is pending: one probe a call.
            for (int i = 0; i < 100; i++) {
                assertThat(pg.getNotifications()).isEmpty();
            }
            assertThat(socket.probesAnsweredAtOnce() - before).isEqualTo(100);
        }
    }

    @Test
    void aProbeStillReadsWhatHasArrived() throws SQLException {
        List<LowLatencySocket> sockets = new ArrayList<>();
        try (Connection connection = connect(sockets, "")) {
            listen(connection);
            PGConnection pg = connection.unwrap(PGConnection.class);
            Broadcasting.send(this.channel, "first");
            Broadcasting.send(this.channel, "second");
            List<String> received = new ArrayList<>();
            await().atMost(Inbox.DEADLINE).until(() -> {
                for (PGNotification notification : pg.getNotifications()) {
                    received.add(notification.getParameter());
                }
                return received.size() >= 2;
            });
            assertThat(received).containsExactly("first", "second");
        }
    }

    @Test
    void aTimedWaitStillWaitsForTheFullTimeoutWhenNothingArrives() throws SQLException {
        List<LowLatencySocket> sockets = new ArrayList<>();
        try (Connection connection = connect(sockets, "")) {
            listen(connection);
            PGConnection pg = connection.unwrap(PGConnection.class);
            long probesBefore = sockets.get(sockets.size() - 1).probesAnsweredAtOnce();
            long start = System.nanoTime();
            assertThat(pg.getNotifications(300)).isEmpty();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(290);
            assertThat(sockets.get(sockets.size() - 1).probesAnsweredAtOnce()).isEqualTo(probesBefore);
        }
    }

    @Test
    void aTimedWaitEndsWhenANotificationArrives() throws Exception {
        List<LowLatencySocket> sockets = new ArrayList<>();
        try (Connection connection = connect(sockets, "")) {
            listen(connection);
            PGConnection pg = connection.unwrap(PGConnection.class);
            CompletableFuture<PGNotification[]> waiting = CompletableFuture
                .supplyAsync(() -> getNotifications(pg, (int) (2 * Inbox.DEADLINE.toMillis())));
            Broadcasting.send(this.channel, "wake up");
            PGNotification[] notifications = waiting.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(notifications).extracting(PGNotification::getParameter).containsExactly("wake up");
        }
    }

    @Test
    void theDriversSocketTimeoutStillEndsAStuckQuery() throws SQLException {
        List<LowLatencySocket> sockets = new ArrayList<>();
        try (Connection connection = connect(sockets, "socketTimeout=1");
                Statement statement = connection.createStatement()) {
            assertThat(sockets).isNotEmpty();
            assertThatExceptionOfType(SQLException.class).isThrownBy(() -> statement.execute("SELECT pg_sleep(10)"))
                .withRootCauseInstanceOf(SocketTimeoutException.class)
                .satisfies((ex) -> assertThat(ex.getMessage()).contains("I/O error"));
        }
    }

    private Connection connect(List<LowLatencySocket> sockets, String parameters) throws SQLException {
        TestDatabase database = TestDatabase.get();
        String url = database.jdbcUrl() + (parameters.isEmpty() ? "" : (database.jdbcUrl().contains("?") ? "&" : "?") + parameters);
        JdbcListenerConnectionFactory factory = new JdbcListenerConnectionFactory(url, database.username(),
                database.password(), "low-latency-socket-test");
        assertThat(factory.usesLowLatencySocket()).isTrue();
        Connection connection = LowLatencySocketFactory.observingSockets(sockets::add, factory::connect);
        assertThat(sockets).isNotEmpty();
        return connection;
    }

    private void listen(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + Identifiers.quote(this.channel));
        }
    }

    private static PGNotification[] getNotifications(PGConnection connection, int timeoutMillis) {
        try {
            return connection.getNotifications(timeoutMillis);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
