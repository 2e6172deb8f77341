package dev.pgbroadcaster.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.context.support.GenericApplicationContext;

/**
 * The server of the SSE workload, in a process of its own so that the clients' work and garbage are not in its heap
 * or on its threads: either a Spring MVC application with the starter and its event stream
 * ({@code pg.broadcaster.web.*}), or the minimal loop, one thread that reads notifications and writes them to every
 * open socket. Both also hand each notification to one listener in the process, which times it from its send. It
 * answers the benchmark on standard input and output, one line each way: {@code stats} (heap after a full
 * collection, threads, resident memory, event stream writer threads), {@code threads} (all, writers), {@code cpu} (its CPU time), {@code heard} (every event its listener got), {@code reset} and {@code listener} (the listener's
 * latencies since the reset); every answer starts with {@code BENCH}.
 *
 * <p>Arguments: {@code starter|minimal}, the JDBC URL, user, password ({@code -} for none), channel, the most clients.
 */
public final class SseServerMain {

    static final String PATH = "/pg-broadcaster/events";

    private static volatile LatencyHistogram listener = new LatencyHistogram();

    /** Every event the listener got, pings and warm-up included: how fast it is fed, whatever it is fed. */
    private static final java.util.concurrent.atomic.AtomicLong heard = new java.util.concurrent.atomic.AtomicLong();

    private SseServerMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String url = args[1];
        String user = none(args[2]);
        String password = none(args[3]);
        String channel = args[4];
        int maxClients = Integer.parseInt(args[5]);
        AutoCloseable server;
        int port;
        if (mode.equals("starter")) {
            ConfigurableApplicationContext context = starter(url, user, password, channel, maxClients);
            server = context;
            port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        }
        else {
            MinimalLoop loop = new MinimalLoop(url, user, password, channel);
            server = loop;
            port = loop.port();
        }
        answer("port " + port);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = commands.readLine()) != null && !command.equals("quit")) {
            switch (command) {
                case "stats" -> answer(stats());
                case "threads" -> answer("threads " + ManagementFactory.getThreadMXBean().getThreadCount() + " " + writers());
                case "cpu" -> answer("cpu " + cpuNanos());
                case "heard" -> answer("heard " + heard.get());
                case "reset" -> {
                    listener = new LatencyHistogram();
                    answer("reset");
                }
                case "listener" -> answer("listener " + listener.summary());
                default -> answer("unknown " + command);
            }
        }
        server.close();
        System.exit(0);
    }

    private static String none(String value) {
        return value.equals("-") ? null : value;
    }

    private static void answer(String line) {
        synchronized (System.out) {
            System.out.println("BENCH " + line);
            System.out.flush();
        }
    }

    /** Heap after full collections, live threads and resident memory. */
    private static String stats() throws IOException {
        long heap = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        long rssKb = -1;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return "stats " + heap + " " + ManagementFactory.getThreadMXBean().getThreadCount() + " " + rssKb + " "
                + writers();
    }

    /** CPU time this process has used, in nanoseconds. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }

    /** Live threads named as the event stream names its writers (pg-broadcaster-sse-n). */
    private static long writers() {
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> thread.getName().startsWith("pg-broadcaster-sse"))
            .count();
    }

    static void heard(long seq, long sentMicros) {
        heard.incrementAndGet();
        if (seq >= 0) {
            listener.record(LatencyHistogram.nowMicros() - sentMicros);
        }
    }

    private static ConfigurableApplicationContext starter(String url, String user, String password, String channel,
            int maxClients) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.datasource.url", url);
        if (user != null) {
            properties.put("spring.datasource.username", user);
        }
        if (password != null) {
            properties.put("spring.datasource.password", password);
        }
        properties.put("pg.broadcaster.channel", channel);
        properties.put("pg.broadcaster.payload-types[0].channel", channel);
        properties.put("pg.broadcaster.payload-types[0].type", Payload.class.getName());
        properties.put("pg.broadcaster.web.enabled", "true");
        properties.put("pg.broadcaster.web.channels", channel);
        properties.put("pg.broadcaster.web.max-clients", String.valueOf(maxClients));
        properties.put("server.address", "127.0.0.1");
        properties.put("server.port", "0");
        properties.put("spring.main.banner-mode", "off");
        properties.put("logging.level.root", "WARN");
        properties.put("spring.autoconfigure.exclude",
                "org.springframework.boot.autoconfigure.integration.IntegrationAutoConfiguration");
        return new SpringApplicationBuilder(Application.class).web(WebApplicationType.SERVLET)
            .properties(properties)
            .initializers((GenericApplicationContext ctx) -> ctx.registerBean("benchListener", Listener.class))
            .logStartupInfo(false)
            .run();
    }

    /** What the senders of the SSE workload send: a sequence number and the wall clock in microseconds. */
    public record Payload(long seq, long sentMicros) {

    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

    }

    public static final class Listener {

        @EventListener
        public void on(Payload payload) {
            heard(payload.seq(), payload.sentMicros());
        }

    }

    /**
     * The least a server can do to stream notifications over HTTP: a thread that accepts, reads the request and
     * answers with an open chunked response, and a thread that reads notifications (over the low-latency socket) and
     * writes each read's events, in one chunk, to every client in turn; no buffer per client, no thread per client, no
     * framework.
     */
    static final class MinimalLoop implements AutoCloseable {

        private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream;charset=UTF-8\r\n"
                + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

        private final ServerSocket serverSocket;

        private final Connection connection;

        private final String channel;

        private final List<OutputStream> clients = new CopyOnWriteArrayList<>();

        private volatile boolean running = true;

        MinimalLoop(String url, String user, String password, String channel) throws Exception {
            this.channel = channel;
            Properties properties = new Properties();
            if (user != null) {
                properties.setProperty("user", user);
            }
            if (password != null) {
                properties.setProperty("password", password);
            }
            properties.setProperty("ApplicationName", "pg-broadcaster-benchmark-minimal-sse");
            properties.setProperty("socketFactory", LowLatencySocketFactory.class.getName());
            this.connection = DriverManager.getConnection(url, properties);
            try (Statement statement = this.connection.createStatement()) {
                statement.execute("LISTEN \"" + channel + "\"");
            }
            this.serverSocket = new ServerSocket(0, 2_000, InetAddress.getLoopbackAddress());
            daemon(this::accept, "minimal-sse-acceptor").start();
            daemon(this::listen, "minimal-sse-listener").start();
        }

        int port() {
            return this.serverSocket.getLocalPort();
        }

        private static Thread daemon(Runnable task, String name) {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        }

        private void accept() {
            while (this.running) {
                try {
                    Socket socket = this.serverSocket.accept();
                    socket.setTcpNoDelay(true);
                    InputStream in = socket.getInputStream();
                    // The request head ends at the first empty line; nothing in it matters here.
                    int matched = 0;
                    while (matched < 4) {
                        int next = in.read();
                        if (next < 0) {
                            break;
                        }
                        matched = (next == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (next == '\r' ? 1 : 0);
                    }
                    OutputStream out = socket.getOutputStream();
                    out.write(HEAD);
                    out.write(chunk(": minimal\n\n".getBytes(StandardCharsets.UTF_8)));
                    out.flush();
                    this.clients.add(out);
                }
                catch (IOException ex) {
                    if (this.running) {
                        System.out.println("minimal loop: accept failed: " + ex);
                    }
                }
            }
        }

        private void listen() {
            PGConnection pg;
            try {
                pg = this.connection.unwrap(PGConnection.class);
                while (this.running) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications == null || notifications.length == 0) {
                        continue;
                    }
                    StringBuilder text = new StringBuilder(notifications.length * 80);
                    for (PGNotification notification : notifications) {
                        String payload = notification.getParameter();
                        text.append("event: ").append(this.channel).append("\ndata: ").append(payload).append("\n\n");
                        heard(SseClients.number(payload, "\"seq\":"), SseClients.number(payload, "\"sentMicros\":"));
                    }
                    byte[] chunk = chunk(text.toString().getBytes(StandardCharsets.UTF_8));
                    for (OutputStream client : this.clients) {
                        try {
                            client.write(chunk);
                        }
                        catch (IOException ex) {
                            this.clients.remove(client);
                        }
                    }
                }
            }
            catch (Exception ex) {
                if (this.running) {
                    System.out.println("minimal loop: listener failed: " + ex);
                }
            }
        }

        private static byte[] chunk(byte[] data) {
            byte[] head = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] chunk = new byte[head.length + data.length + 2];
            System.arraycopy(head, 0, chunk, 0, head.length);
            System.arraycopy(data, 0, chunk, head.length, data.length);
            chunk[chunk.length - 2] = '\r';
            chunk[chunk.length - 1] = '\n';
            return chunk;
        }

        @Override
        public void close() throws Exception {
            this.running = false;
            this.serverSocket.close();
            this.connection.close();
        }

    }

}
