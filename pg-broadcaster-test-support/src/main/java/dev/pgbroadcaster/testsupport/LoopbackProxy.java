package dev.pgbroadcaster.testsupport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * A TCP proxy on the loopback interface, between a client and a PostgreSQL server, that a test controls to
 * inject network faults:
 * <ul>
 * <li>{@link #blackHoleOpenConnections()}: the connections open now stop carrying anything, either way, and are
 * not closed, as when a network drops every packet (no FIN, no RST); new connections work;</li>
 * <li>{@link #blackHoleNewConnections(boolean)}: connections opened from now on are accepted and then carry
 * nothing;</li>
 * <li>{@link #refuseNewConnections(boolean)}: connections opened from now on are closed at once, as by a server
 * that is down;</li>
 * <li>{@link #dropNotifications(boolean)}: the server's NotificationResponse messages (type 'A') are taken out of
 * what it sends, as a pooler in transaction pooling mode effectively does.</li>
 * </ul>
 * It reads the server's side as protocol messages, so clients must not use TLS: {@link #jdbcUrl()} says
 * {@code sslmode=disable}.
 */
public final class LoopbackProxy implements AutoCloseable {

    private final ServerSocket serverSocket;

    private final String targetHost;

    private final int targetPort;

    private final String database;

    private final List<Link> links = new CopyOnWriteArrayList<>();

    private final AtomicLong bytesSwallowed = new AtomicLong();

    private final AtomicLong notificationsForwarded = new AtomicLong();

    private volatile boolean blackHoleNew;

    private volatile boolean refuseNew;

    private volatile boolean dropNotifications;

    private volatile boolean closed;

    private LoopbackProxy(String targetHost, int targetPort, String database) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.database = database;
        this.serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "loopback-proxy-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts a proxy in front of the server that {@code jdbcUrl} names.
     */
    public static LoopbackProxy to(String jdbcUrl) {
        Properties url = Driver.parseURL(jdbcUrl, null);
        if (url == null) {
            throw new IllegalArgumentException("Not a PostgreSQL JDBC URL: " + jdbcUrl);
        }
        String host = PGProperty.PG_HOST.getOrDefault(url).split(",")[0];
        int port = Integer.parseInt(PGProperty.PG_PORT.getOrDefault(url).split(",")[0]);
        try {
            return new LoopbackProxy(host, port, PGProperty.PG_DBNAME.getOrDefault(url));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start the proxy", ex);
        }
    }

    public int port() {
        return this.serverSocket.getLocalPort();
    }

    /**
     * Returns a JDBC URL that reaches the server through this proxy, without TLS.
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + this.database + "?sslmode=disable&gssEncMode=disable";
    }

    /**
     * Makes every connection open now carry nothing more, either way, without closing it.
     */
    public void blackHoleOpenConnections() {
        this.links.forEach((link) -> link.blackHoled = true);
    }

    /**
     * Whether connections opened from now on are accepted and then carry nothing.
     */
    public void blackHoleNewConnections(boolean blackHole) {
        this.blackHoleNew = blackHole;
    }

    /**
     * Whether connections opened from now on are closed as soon as they are accepted.
     */
    public void refuseNewConnections(boolean refuse) {
        this.refuseNew = refuse;
    }

    /**
     * Whether to take the server's notifications out of what reaches the clients.
     */
    public void dropNotifications(boolean drop) {
        this.dropNotifications = drop;
    }

    /**
     * Returns how many bytes a black hole has swallowed so far, in either direction.
     */
    public long bytesSwallowed() {
        return this.bytesSwallowed.get();
    }

    /**
     * Returns how many of the server's notifications (NotificationResponse messages) reached a client.
     */
    public long notificationsForwarded() {
        return this.notificationsForwarded.get();
    }

    /**
     * Returns how many connections are open through the proxy, black-holed ones included.
     */
    public int openConnections() {
        return (int) this.links.stream().filter((link) -> !link.ended).count();
    }

    @Override
    public void close() {
        this.closed = true;
        closeQuietly(this.serverSocket);
        this.links.forEach(Link::close);
    }

    private void accept() {
        while (!this.closed) {
            Socket client;
            try {
                client = this.serverSocket.accept();
            }
            catch (IOException ex) {
                return;
            }
            if (this.refuseNew) {
                closeQuietly(client);
                continue;
            }
            Link link = new Link(client, this.blackHoleNew);
            this.links.add(link);
            link.start();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            if (closeable != null) {
                closeable.close();
            }
        }
        catch (Exception ex) {
            // Closing to end the link; nothing to do about a failure.
        }
    }

    /**
     * One client connection and its connection to the server.
     */
    private final class Link {

        private final Socket client;

        private volatile Socket server;

        private volatile boolean blackHoled;

        private volatile boolean ended;

        Link(Socket client, boolean blackHoled) {
            this.client = client;
            this.blackHoled = blackHoled;
        }

        void start() {
            Thread thread = new Thread(this::run, "loopback-proxy-link-" + this.client.getPort());
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(LoopbackProxy.this.targetHost, LoopbackProxy.this.targetPort), 10_000);
                upstream.setTcpNoDelay(true);
                this.client.setTcpNoDelay(true);
                this.server = upstream;
                Thread toServer = new Thread(() -> pumpBytes(this.client, upstream), "loopback-proxy-to-server");
                toServer.setDaemon(true);
                toServer.start();
                pumpMessages(upstream, this.client);
            }
            catch (IOException ex) {
                // The link ends when either side goes away.
            }
            finally {
                if (!this.blackHoled) {
                    close();
                }
            }
        }

        private void pumpBytes(Socket from, Socket to) {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (this.blackHoled) {
                        LoopbackProxy.this.bytesSwallowed.addAndGet(read);
                    }
                    else {
                        out.write(buffer, 0, read);
                        out.flush();
                    }
                }
            }
            catch (IOException ex) {
                // The link ends when either side goes away.
            }
            finally {
                if (!this.blackHoled) {
                    close();
                }
            }
        }

        // Server to client, a protocol message at a time: type byte, length (itself included), body.
        private void pumpMessages(Socket from, Socket to) throws IOException {
            DataInputStream in = new DataInputStream(new BufferedInputStream(from.getInputStream()));
            OutputStream out = new BufferedOutputStream(to.getOutputStream());
            while (true) {
                int type;
                try {
                    type = in.readUnsignedByte();
                }
                catch (EOFException ex) {
                    return;
                }
                int length = in.readInt();
                byte[] body = new byte[length - 4];
                in.readFully(body);
                if (this.blackHoled) {
                    LoopbackProxy.this.bytesSwallowed.addAndGet(1 + length);
                    continue;
                }
                if (type == 'A' && LoopbackProxy.this.dropNotifications) {
                    continue;
                }
                if (type == 'A') {
                    LoopbackProxy.this.notificationsForwarded.incrementAndGet();
                }
                out.write(type);
                out.write(length >>> 24);
                out.write(length >>> 16);
                out.write(length >>> 8);
                out.write(length);
                out.write(body);
                if (in.available() == 0) {
                    out.flush();
                }
            }
        }

        void close() {
            this.ended = true;
            closeQuietly(this.client);
            closeQuietly(this.server);
        }

    }

}
