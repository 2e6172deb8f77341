package dev.pgbroadcaster.benchmark;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Server-sent events on loopback: 1,000 plain NOTIFYs a second, each carrying its send time (wall clock, epoch
 * microseconds), streamed to N clients, timed at the clients, and at one {@code @EventListener} in the server for the
 * same notifications; then the server's heap and threads with N idle clients beside none. The server runs in a
 * process of its own (the starter's endpoint on Spring MVC, or the minimal loop, which checks the harness), the
 * clients and the senders in this one, so both sides read one machine's clock.
 */
final class SseWorkload {

    static final String STARTER = "pg-broadcaster SSE endpoint";

    static final String MINIMAL = "minimal loop (one thread, no framework)";

    private static final int RATE = 1_000;

    private static final int WARM_CLIENTS = 10;

    private final Database database;

    private final boolean quick;

    private final int seconds;

    private final int warmUpSeconds;

    private final int[] clientCounts;

    private final List<String> rows = new ArrayList<>();

    private final List<String> notes = new ArrayList<>();

    private int channels;

    SseWorkload(Database database, boolean quick) {
        this.database = database;
        this.quick = quick;
        this.seconds = Integer.getInteger("bench.sse.seconds", quick ? 3 : 20);
        this.warmUpSeconds = quick ? 2 : 5;
        String counts = System.getProperty("bench.sse.clients", "").trim();
        this.clientCounts = counts.isEmpty() ? (quick ? new int[] { 0, 10, 100 } : new int[] { 0, 100, 1_000 })
                : Arrays.stream(counts.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    void run() {
        for (int clients : this.clientCounts) {
            for (String mode : new String[] { "starter", "minimal" }) {
                measure(mode, clients);
            }
        }
    }

    private void measure(String mode, int clients) {
        String server = mode.equals("starter") ? STARTER : MINIMAL;
        String channel = "sse_" + (++this.channels);
        int count = RATE * this.seconds;
        System.out.printf(Locale.ROOT, "%tT  %-20s %,d SSE clients%n", System.currentTimeMillis(), server, clients);
        Contender.Running sending = new Contender.Running() {

            @Override
            public Sender newSender() throws SQLException {
                return new SseSender(SseWorkload.this.database, channel);
            }

            @Override
            public void close() {
            }

        };
        try (SseServerProcess process = new SseServerProcess(mode, this.database, channel, clients + 100)) {
            URI uri = URI.create("http://127.0.0.1:" + process.port() + SseServerMain.PATH);
            awaitListener(process, sending);
            String idle = "n/a";
            String threads = "n/a";
            String resident = "n/a";
            SseClients streams = null;
            try {
                if (clients > 0) {
                    // The streaming path compiled, then its clients gone, before the heap without clients is read.
                    try (SseClients warm = new SseClients(channel)) {
                        warm.open(uri, WARM_CLIENTS, 30);
                        awaitPing(warm, sending);
                        Workloads.paced(sending, -2, RATE * this.warmUpSeconds, RATE);
                    }
                    // Writes to the closed streams are what make their writers end.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    do {
                        Workloads.paced(sending, -2, 20, 100);
                    }
                    while (Integer.parseInt(process.ask("threads")[1]) > 0 && System.nanoTime() < deadline);
                    long[] none = stats(process);
                    streams = new SseClients(channel);
                    int opened = streams.open(uri, clients, 120);
                    if (opened < clients) {
                        this.notes.add(String.format(Locale.ROOT, "%s, %,d clients: only %,d streams opened (%s)", server,
                                clients, opened, firstEnd(streams)));
                    }
                    Thread.sleep(500);
                    long[] some = stats(process);
                    idle = String.format(Locale.ROOT, "%.1f", (some[0] - none[0]) / 1024.0 / opened);
                    threads = String.format(Locale.ROOT, "%d / %d (%d writers)", none[1], some[1], some[3]);
                    resident = String.format(Locale.ROOT, "%.0f", (some[2] - none[2]) / (double) opened);
                    awaitPing(streams, sending);
                }
                Workloads.paced(sending, -2, RATE * this.warmUpSeconds, RATE);
                Thread.sleep(500);
                if (streams != null) {
                    streams.measure(count);
                }
                process.ask("reset");
                long heardBefore = Long.parseLong(process.ask("heard")[0]);
                long serverCpu = Long.parseLong(process.ask("cpu")[0]);
                long ownCpu = SseServerMain.cpuNanos();
                long[] machine = machineTicks();
                long sendNanos = Workloads.paced(sending, 0, count, RATE);
                String cpu = String.format(Locale.ROOT, "%.2f / %.2f / %.2f",
                        (Long.parseLong(process.ask("cpu")[0]) - serverCpu) / (double) sendNanos,
                        (SseServerMain.cpuNanos() - ownCpu) / (double) sendNanos, busyCores(machine, machineTicks()));
                double heardRate = (Long.parseLong(process.ask("heard")[0]) - heardBefore) / (sendNanos / 1e9);
                boolean all = streams == null || streams.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                Thread.sleep(200);
                String[] listener = process.ask("listener");
                String atClients = "n/a (no clients)";
                String received = "n/a";
                if (streams != null) {
                    double[] p = streams.latencies().percentilesMillis();
                    atClients = millis(p[0], p[1], p[2]);
                    received = received(streams, count);
                    clientNotes(server, clients, streams, count, all);
                }
                this.rows.add(String.format(Locale.ROOT, "| %,d | %s | %s | %s | %s | %,.0f/s | %s | %s | %s | %s | %,.0f/s |",
                        clients, server, atClients, received, millis(Double.parseDouble(listener[1]),
                                Double.parseDouble(listener[2]), Double.parseDouble(listener[3])), heardRate,
                        idle, threads, resident, cpu, count / (sendNanos / 1e9)));
                if (Long.parseLong(listener[0]) != count) {
                    this.notes.add(String.format(Locale.ROOT, "%s, %,d clients: the server's listener got %s of %,d",
                            server, clients, listener[0], count));
                }
            }
            finally {
                if (streams != null) {
                    streams.close();
                }
            }
            logNotes(server, clients, process.log());
        }
        catch (Exception ex) {
            this.rows.add(String.format(Locale.ROOT, "| %,d | %s | failed | | | | | | | | |", clients, server));
            this.notes.add(server + ", " + clients + " clients: failed with " + ex);
            ex.printStackTrace(System.out);
        }
    }

    /**
     * Heap after full collections (bytes), threads, resident memory (KB), event stream writer threads: the lowest of
     * two readings each.
     */
    private static long[] stats(SseServerProcess process) throws Exception {
        long[] lowest = { Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE };
        for (int i = 0; i < 2; i++) {
            String[] words = process.ask("stats");
            for (int j = 0; j < 4; j++) {
                lowest[j] = Math.min(lowest[j], Long.parseLong(words[j]));
            }
        }
        return lowest;
    }

    private static String millis(double p50, double p99, double max) {
        return Double.isNaN(p50) ? "none arrived" : String.format(Locale.ROOT, "%.2f / %.2f / %.1f", p50, p99, max);
    }

    /** The machine's busy and total CPU ticks so far, from /proc/stat. */
    private static long[] machineTicks() throws java.io.IOException {
        String[] fields = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        // user, nice, system, idle, iowait, irq, softirq, steal; guest time is counted in user already.
        for (int i = 1; i <= 8 && i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
        }
        long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
        return new long[] { total - idle, total };
    }

    private static double busyCores(long[] before, long[] after) {
        double total = after[1] - before[1];
        return total == 0 ? Double.NaN
                : Runtime.getRuntime().availableProcessors() * (after[0] - before[0]) / total;
    }

    private static void awaitListener(SseServerProcess process, Contender.Running sending) throws Exception {
        // Its listener counts only the measured range: a ping that gets through shows in its latencies after a reset.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Sender sender = sending.newSender()) {
            while (true) {
                process.ask("reset");
                sender.send(0);
                Thread.sleep(50);
                if (Long.parseLong(process.ask("listener")[0]) > 0) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("The SSE server heard nothing within 30 s");
                }
            }
        }
    }

    private static void awaitPing(SseClients streams, Contender.Running sending) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Sender sender = sending.newSender()) {
            while (!streams.allSawPing(-1)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Not every SSE client got an event within 30 s");
                }
                sender.send(-1);
                Thread.sleep(100);
            }
        }
    }

    private static String received(SseClients streams, int count) {
        long fewest = Long.MAX_VALUE;
        long total = 0;
        for (SseClients.Client client : streams.clients()) {
            fewest = Math.min(fewest, client.received());
            total += client.received();
        }
        long expected = (long) count * streams.clients().size();
        return String.format(Locale.ROOT, "%,d / %,d of %,d (%.2f%%)", fewest, total, expected, 100.0 * total / expected);
    }

    private void clientNotes(String server, int clients, SseClients streams, int count, boolean all) {
        long gaps = 0;
        long resyncs = 0;
        long duplicates = 0;
        int ended = 0;
        int short_ = 0;
        String anEnd = null;
        for (SseClients.Client client : streams.clients()) {
            gaps += client.gaps();
            resyncs += client.resyncs();
            duplicates += client.duplicates();
            if (client.hasEnded()) {
                ended++;
                anEnd = client.end();
            }
            if (client.received() < count) {
                short_++;
            }
        }
        if (gaps + resyncs + duplicates + ended + short_ > 0 || !all) {
            this.notes.add(String.format(Locale.ROOT, "%s, %,d clients: %,d clients got fewer than all %,d events, "
                    + "%,d gap events, %,d resync events, %,d duplicates, %,d streams ended during the run%s", server,
                    clients, short_, count, gaps, resyncs, duplicates, ended, anEnd == null ? "" : " (" + anEnd + ")"));
        }
    }

    private static String firstEnd(SseClients streams) {
        return streams.all().stream().filter(SseClients.Client::hasEnded).map(SseClients.Client::end)
            .findFirst().orElse("no error seen");
    }

    private void logNotes(String server, int clients, List<String> log) {
        List<String> warnings = log.stream()
            .filter((line) -> line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("Exception"))
            .toList();
        if (!warnings.isEmpty()) {
            this.notes.add(String.format(Locale.ROOT, "%s, %,d clients: %,d warning or error lines in the server's log, "
                    + "the first: %s", server, clients, warnings.size(), warnings.get(0)));
        }
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "SSE at %,d/s, %d s measured after %d s of warm-up%s:%n%n", RATE,
                this.seconds, this.warmUpSeconds, this.quick ? " (quick mode, not a measurement)" : ""));
        out.append("| clients | server | at the clients: p50 / p99 / max (ms) | events received: fewest by a client / "
                + "all clients, of sent | the server's listener, same notifications: p50 / p99 / max (ms) | events the server's listener got a "
                + "second while they were sent | heap per "
                + "idle client (KB) | server threads: no clients / idle clients (of them named as stream writers) | resident memory per idle client (KB) "
                + "| CPU while measured, cores: server / clients and senders / whole machine | send rate reached |\n");
        out.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        this.rows.forEach((row) -> out.append(row).append('\n'));
        for (String note : this.notes) {
            out.append("\n- ").append(note);
        }
        return out.append('\n').toString();
    }

    /**
     * Plain NOTIFY, one per transaction, with the wall clock in microseconds taken just before the statement.
     */
    private static final class SseSender implements Sender {

        private final Connection connection;

        private final PreparedStatement statement;

        SseSender(Database database, String channel) throws SQLException {
            this.connection = database.connect("pg-broadcaster-benchmark-sender", false);
            this.statement = this.connection.prepareStatement("SELECT pg_notify(?, ?)");
            this.statement.setString(1, channel);
        }

        @Override
        public void send(long seq) throws SQLException {
            this.statement.setString(2, "{\"seq\":" + seq + ",\"sentMicros\":" + LatencyHistogram.nowMicros() + "}");
            try (ResultSet result = this.statement.executeQuery()) {
                result.next();
            }
        }

        @Override
        public void close() throws SQLException {
            this.connection.close();
        }

    }

}
