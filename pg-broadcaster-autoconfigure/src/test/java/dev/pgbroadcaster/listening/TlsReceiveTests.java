package dev.pgbroadcaster.listening;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.listening.LowLatencySocket;
import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over TLS the driver's SSL socket reads its records through {@link LowLatencySocket}: answering the probe
 * at once must never cost a record, however notifications of every size are cut into records and segments.
 */
class TlsReceiveTests {

    private static final int NOTIFICATIONS = 3_000;

    private static final int MAX_PAYLOAD_BYTES = 7_999;

    private static EmbeddedPostgresServer server;

    private final String channel = Broadcasting.channel();

    @BeforeAll
    static void startServerWithTls() {
        server = EmbeddedPostgresServer.startWithTls();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void notificationsOfEverySizeArriveIntactAndInOrderOverTls() throws Exception {
        receiveAllThrough(server.jdbcUrl());
    }

    @Test
    void recordsCutIntoSmallPiecesOnTheWayArriveIntactAndInOrder() throws Exception {
        try (ChoppingProxy proxy = new ChoppingProxy(server.port())) {
            receiveAllThrough("jdbc:postgresql://localhost:" + proxy.port() + "/postgres");
            assertThat(proxy.chunks()).as("pieces the server's bytes were cut into").isGreaterThan(NOTIFICATIONS);
        }
    }

    private void receiveAllThrough(String url) throws Exception {
        List<LowLatencySocket> sockets = new ArrayList<>();
        JdbcListenerConnectionFactory factory = new JdbcListenerConnectionFactory(url + "?sslmode=require",
                server.username(), server.password(), "tls-test");
        try (Connection listener = LowLatencySocketFactory.observingSockets(sockets::add, factory::connect)) {
            assertThat(sockets).isNotEmpty();
            assertThat(usesTls(listener)).isTrue();
            try (Statement statement = listener.createStatement()) {
                statement.execute("LISTEN " + Identifiers.quote(this.channel));
            }
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(this::publishAll);
            PGConnection pg = listener.unwrap(PGConnection.class);
            List<String> received = new ArrayList<>(NOTIFICATIONS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.size() < NOTIFICATIONS && System.nanoTime() < deadline) {
                PGNotification[] notifications = pg.getNotifications(200);
                for (PGNotification notification : notifications) {
                    received.add(notification.getParameter());
                }
            }
            publishing.get(10, TimeUnit.SECONDS);
            assertThat(received).hasSize(NOTIFICATIONS);
            for (int i = 0; i < NOTIFICATIONS; i++) {
                if (!received.get(i).equals(payload(i))) {
                    assertThat(received.get(i)).as("notification %d", i).isEqualTo(payload(i));
                }
            }
            assertThat(sockets.get(sockets.size() - 1).probesAnsweredAtOnce()).isPositive();
        }
    }

    /**
     * Single notifications and bursts of large ones in one transaction, so that what the server writes spans
     * many TLS records, while the listener probes between them.
     */
    private void publishAll() {
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), server.username(),
                server.password());
                PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            int sent = 0;
            int round = 0;
            while (sent < NOTIFICATIONS) {
                boolean burst = (round++ % 4 == 3);
                connection.setAutoCommit(!burst);
                int count = burst ? Math.min(200, NOTIFICATIONS - sent) : 1;
                for (int i = 0; i < count; i++) {
                    statement.setString(1, this.channel);
                    statement.setString(2, payload(sent++));
                    statement.execute();
                }
                if (burst) {
                    connection.commit();
                }
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * A payload unique to its number, from a few bytes to the most PostgreSQL takes, with multi-byte
     * characters among them.
     */
    static String payload(int number) {
        String head = number + ":";
        int size = switch (number % 5) {
            case 0 -> 1;
            case 1 -> 100 + number % 1_000;
            case 2 -> 4_000 + number % 3_000;
            default -> MAX_PAYLOAD_BYTES;
        };
        StringBuilder payload = new StringBuilder(head);
        int bytes = head.length();
        int i = 0;
        while (bytes < size) {
            char next = (i++ % 7 == 0 && bytes + 2 <= size) ? 'é' : (char) ('a' + (number + i) % 26);
            payload.append(next);
            bytes += String.valueOf(next).getBytes(StandardCharsets.UTF_8).length;
        }
        return payload.toString();
    }

    /**
     * Forwards one connection to the server, passing what the server sends on in pieces of 1 to 600 bytes
     * with short pauses, so TLS records reach the listener a little at a time and its probes land mid-record.
     */
    private static final class ChoppingProxy implements AutoCloseable {

        private final ServerSocket listening;

        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        private final AtomicLong chunks = new AtomicLong();

        private final int serverPort;

        ChoppingProxy(int serverPort) throws IOException {
            this.serverPort = serverPort;
            this.listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "chopping-proxy");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return this.listening.getLocalPort();
        }

        long chunks() {
            return this.chunks.get();
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = this.listening.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.serverPort);
                    client.setTcpNoDelay(true);
                    upstream.setTcpNoDelay(true);
                    this.sockets.add(client);
                    this.sockets.add(upstream);
                    pump(client.getInputStream(), upstream.getOutputStream(), false);
                    pump(upstream.getInputStream(), client.getOutputStream(), true);
                }
            }
            catch (IOException ex) {
                // closed
            }
        }

        private void pump(InputStream from, OutputStream to, boolean chop) {
            Thread thread = new Thread(() -> {
                Random random = new Random(42);
                byte[] buffer = new byte[64 * 1024];
                try {
                    int read;
                    while ((read = from.read(buffer)) >= 0) {
                        int offset = 0;
                        while (offset < read) {
                            int length = chop ? Math.min(read - offset, 1 + random.nextInt(600)) : read - offset;
                            to.write(buffer, offset, length);
                            to.flush();
                            offset += length;
                            if (chop) {
                                this.chunks.incrementAndGet();
                                if (random.nextInt(32) == 0) {
                                    Thread.sleep(1);
                                }
                            }
                        }
                    }
                }
                catch (IOException | InterruptedException ex) {
                    // closed
                }
                closeAll();
            }, "chopping-proxy-pump");
            thread.setDaemon(true);
            thread.start();
        }

        private void closeAll() {
            for (Socket socket : this.sockets) {
                try {
                    socket.close();
                }
                catch (IOException ex) {
                    // closing anyway
                }
            }
        }

        @Override
        public void close() throws IOException {
            this.listening.close();
            closeAll();
        }

    }

    private static boolean usesTls(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            return result.next() && result.getBoolean(1);
        }
    }

}
