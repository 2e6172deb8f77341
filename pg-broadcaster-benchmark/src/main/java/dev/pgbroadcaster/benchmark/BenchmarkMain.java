package dev.pgbroadcaster.benchmark;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs every workload against every contender, one at a time on the same server, prints one table and writes
 * it as Markdown to {@code bench.output}. {@code -Dbench.quick=true} runs each workload briefly, to check the
 * harness rather than to measure.
 */
public final class BenchmarkMain {

    static final String STARTER = "pg-broadcaster";

    static final String JOURNAL = "pg-broadcaster journal";

    static final String LOOP = "plain pgjdbc loop";

    static final String INTEGRATION = "Spring Integration";

    static final String CEILING = "raw ceiling";

    private static final int FAN_OUT = 10;

    private static final int THROUGHPUT_BATCH = 100;

    private static final int BURST_BATCH = 1_000;

    private static final String BURST_DRAIN = "time to drain (s)";

    private static final String BURST_LIVE_HEAP = "live heap, MB: before / peak (full GC every 200 ms)";

    private static final String BURST_DELIVERED = "delivered / lost / duplicates";

    private static final String NO_FLOODS = "n/a: its writers top out far below this (the replay row's write rate)";

    private static final int REPLAY_GAP = 100_000;

    private static final String REPLAY_RATE = "replayed/s, from the reconnect attempt to the last replayed change";

    private static final String REPLAY_CONNECTED = "time to the BroadcasterConnectedEvent (s) / changes it says were replayed";

    private static final String REPLAY_DELIVERED = "delivered / lost / duplicates";

    private static final String REPLAY_WRITTEN = "the gap written by two publishers, changes/s";

    /** How far the journal's p50 may be from plain NOTIFY's in the same run. */
    private static final double JOURNAL_P50_RATIO = 1.5;

    private final boolean quick;

    private final Database database;

    private final List<Contender> contenders = Stream
        .of(new StarterContender(false), new StarterContender(true), new PgjdbcLoopContender(false),
                new SpringIntegrationContender(), new PgjdbcLoopContender(true))
        .filter((contender) -> selected("bench.contenders", contender.name()))
        .toList();

    private final Map<String, Map<String, String>> table = new LinkedHashMap<>();

    private final Map<String, double[]> latencies = new LinkedHashMap<>();

    private final Map<String, Double> throughputs = new LinkedHashMap<>();

    private final List<String> notes = new ArrayList<>();

    private final Map<String, Burst> bursts = new LinkedHashMap<>();

    private final Map<String, Double> replayRates = new LinkedHashMap<>();

    private final AtomicInteger channels = new AtomicInteger();

    private SseWorkload sse;

    private BenchmarkMain(boolean quick, Database database) {
        this.quick = quick;
        this.database = database;
    }

    public static void main(String[] args) {
        boolean quick = Boolean.getBoolean("bench.quick");
        Path output = Path.of(System.getProperty("bench.output", "benchmark-results.md"));
        int status = 0;
        try (Database database = Database.open()) {
            BenchmarkMain benchmark = new BenchmarkMain(quick, database);
            benchmark.run();
            String markdown = benchmark.markdown();
            System.out.println();
            System.out.println(markdown);
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, markdown);
            System.out.println("Written to " + output.toAbsolutePath());
        }
        catch (Exception ex) {
            ex.printStackTrace(System.out);
            status = 1;
        }
        // Threads of the contenders that do not stop on their own must not keep the JVM alive.
        System.exit(status);
    }

    private void run() throws Exception {
        // The event stream is the starter's; its own servers, clients and contender are in SseWorkload. First, so that
        // nothing a contender before it left running in this JVM, where its clients are, takes their CPU.
        if (selected("bench.workloads", "sse") && selected("bench.contenders", STARTER)) {
            this.sse = new SseWorkload(this.database, this.quick);
            this.sse.run();
        }
        int seconds = this.quick ? 2 : 10;
        for (int rate : selected("bench.workloads", "steady") ? new int[] { 1_000, 5_000 } : new int[0]) {
            for (Contender contender : this.contenders) {
                steady(contender, rate, seconds, 1);
            }
            journalRatio(rate);
        }
        if (selected("bench.workloads", "throughput")) {
            throughput(Integer.getInteger("bench.rounds", this.quick ? 1 : 3), this.quick ? 100_000 : 1_000_000,
                    this.quick ? 2_000 : 10_000);
        }
        for (Contender contender : selected("bench.workloads", "fan-out") ? this.contenders : List.<Contender>of()) {
            if (contender.fansOut()) {
                steady(contender, 1_000, seconds, FAN_OUT);
            }
            else {
                put(fanOutRow(), contender, "n/a: one subscriber per message");
            }
        }
        for (Contender contender : selected("bench.workloads", "burst") ? this.contenders : List.<Contender>of()) {
            if (!contender.takesFloods()) {
                put(burstRow(BURST_DRAIN), contender, NO_FLOODS);
            }
            else if (contender.receivesNotify()) {
                burst(contender, this.quick ? 100_000 : 1_000_000);
            }
            else {
                String reason = "n/a: each message is a table row";
                put(burstRow(BURST_DRAIN), contender, reason);
                put(burstRow(BURST_LIVE_HEAP), contender, reason);
                put(burstRow(BURST_DELIVERED), contender, reason);
            }
        }
        for (Contender contender : selected("bench.workloads", "replay") ? this.contenders : List.<Contender>of()) {
            if (contender.replays()) {
                replay(contender, this.quick ? 20_000 : REPLAY_GAP);
            }
            else {
                put(replayRow(REPLAY_RATE), contender, "n/a: no replay, what is sent while away is lost");
            }
        }
    }

    private static boolean selected(String property, String name) {
        String selection = System.getProperty(property, "").trim();
        return selection.isEmpty() || Arrays.stream(selection.split(",")).map(String::trim).anyMatch(name::equals);
    }

    private void steady(Contender contender, int rate, int seconds, int listeners) throws Exception {
        int count = rate * seconds;
        String label = listeners == 1 ? String.format(Locale.ROOT, "steady %,d/s", rate) : fanOutRow();
        String latencyRow = listeners == 1 ? label + ": latency p50 / p99 / p99.9 / max (ms)" : label;
        progress(contender, label);
        Recorder recorder = new Recorder(count, listeners, true);
        try (Contender.Running running = start(contender, recorder)) {
            long sending = Workloads.paced(running, 0, count, rate);
            boolean all = recorder.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            double[] percentiles = recorder.latencyPercentilesMillis();
            String key = listeners == 1 ? contender.name() + "@" + rate : contender.name() + "@fan-out";
            this.latencies.put(key, percentiles);
            put(latencyRow, contender, String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.1f", percentiles[0],
                    percentiles[1], percentiles[2], percentiles[3]));
            if (listeners == 1) {
                put(label + ": delivered / sent (send rate reached)", contender,
                        String.format(Locale.ROOT, "%,d / %,d (%,.0f/s)", recorder.received(), count,
                                count / (sending / 1e9)));
            }
            else if (recorder.deliveries() != (long) count * listeners) {
                this.notes.add(String.format(Locale.ROOT, "%s fan-out: %,d of %,d listener calls", contender.name(),
                        recorder.deliveries(), (long) count * listeners));
            }
            if (!all || recorder.duplicates() > 0 || recorder.unexpected() > 0) {
                this.notes.add(String.format(Locale.ROOT, "%s, %s: %,d of %,d arrived within 30 s of the last send, "
                        + "%,d duplicates", contender.name(), label, recorder.received(), count, recorder.duplicates()));
            }
        }
        catch (Exception ex) {
            failed(contender, latencyRow, ex);
        }
    }

    /**
     * Each contender in turn, {@code rounds} times over, so that a slow moment of the machine does not land on one
     * contender only; the table gives the median and the range.
     */
    private void throughput(int rounds, int count, int rowCount) throws Exception {
        String label = String.format(Locale.ROOT,
                "max throughput, NOTIFY %d per transaction: received/s, median of %d (range)", THROUGHPUT_BATCH, rounds);
        Map<String, List<Double>> results = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (Contender contender : this.contenders) {
                if (!contender.takesFloods()) {
                    put(label, contender, NO_FLOODS);
                    continue;
                }
                progress(contender, String.format(Locale.ROOT, "max throughput, round %d of %d", round, rounds));
                try {
                    results.computeIfAbsent(contender.name(), (name) -> new ArrayList<>())
                        .add(throughput(contender, count, rowCount));
                }
                catch (Exception ex) {
                    failed(contender, label, ex);
                }
            }
        }
        results.forEach((name, perSecond) -> {
            List<Double> sorted = perSecond.stream().sorted().toList();
            double median = sorted.get(sorted.size() / 2);
            this.throughputs.put(name, median);
            String cell = String.format(Locale.ROOT, "%,.0f (%,.0f to %,.0f)", median, sorted.get(0),
                    sorted.get(sorted.size() - 1));
            if (name.equals(INTEGRATION)) {
                cell += String.format(Locale.ROOT, ", %,d messages, each a row in its own transaction", rowCount);
            }
            this.table.computeIfAbsent(label, (key) -> new LinkedHashMap<>()).put(name, cell);
        });
    }

    private double throughput(Contender contender, int count, int rowCount) throws Exception {
        int expected = contender.receivesNotify() ? count : rowCount;
        Recorder recorder = new Recorder(expected, 1, false);
        try (Contender.Running running = start(contender, recorder)) {
            long start = System.nanoTime();
            if (contender.receivesNotify()) {
                Workloads.batched(running, 0, count, THROUGHPUT_BATCH);
            }
            else {
                Workloads.paced(running, 0, rowCount, 0);
            }
            if (!recorder.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(120))) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%,d of %,d arrived within 120 s",
                        recorder.received(), expected));
            }
            return expected / ((recorder.lastReceiveNanos() - start) / 1e9);
        }
    }

    /**
     * Keeps the listener away, writes {@code gap} changes meanwhile, 100 per transaction, lets it back, and times
     * its replay: from the connection attempt that succeeds until the last change replayed reaches the listener
     * method, and until the connected event that follows the replay does.
     */
    private void replay(Contender contender, int gap) throws Exception {
        String label = replayRow(REPLAY_RATE);
        progress(contender, String.format(Locale.ROOT, "replay of a %,d-change gap", gap));
        Recorder recorder = new Recorder(gap, 1, false);
        try (Contender.Running running = start(contender, recorder)) {
            running.keepAway(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            long writing = Workloads.batched(running, 0, gap, THROUGHPUT_BATCH);
            Contender.Reconnection back = running.letBack(System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
            boolean all = recorder.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            double seconds = (recorder.lastReceiveNanos() - back.attemptNanos()) / 1e9;
            this.replayRates.put(contender.name(), gap / seconds);
            put(label, contender, String.format(Locale.ROOT, "%,.0f (%,d in %.2f s)", gap / seconds, gap, seconds)
                    + (all ? "" : " (incomplete)"));
            put(replayRow(REPLAY_CONNECTED), contender, String.format(Locale.ROOT, "%.2f / %,d",
                    (back.connectedNanos() - back.attemptNanos()) / 1e9, back.replayed()));
            put(replayRow(REPLAY_DELIVERED), contender, String.format(Locale.ROOT, "%,d / %,d / %,d",
                    recorder.received(), gap - recorder.received(), recorder.duplicates()));
            put(replayRow(REPLAY_WRITTEN), contender, String.format(Locale.ROOT, "%,.0f", gap / (writing / 1e9)));
        }
        catch (Exception ex) {
            failed(contender, label, ex);
        }
    }

    /**
     * The journal's latency as a multiple of plain NOTIFY's, both measured in this run.
     */
    private void journalRatio(int rate) {
        double[] plain = this.latencies.get(STARTER + "@" + rate);
        double[] journal = this.latencies.get(JOURNAL + "@" + rate);
        if (plain == null || journal == null) {
            return;
        }
        this.table.computeIfAbsent(String.format(Locale.ROOT,
                "steady %,d/s: p50 / p99 as a multiple of pg-broadcaster's (plain NOTIFY)", rate),
                (key) -> new LinkedHashMap<>())
            .put(JOURNAL, String.format(Locale.ROOT, "%.2fx / %.2fx", journal[0] / plain[0], journal[1] / plain[1]));
    }

    private void burst(Contender contender, int count) throws Exception {
        String label = burstRow(BURST_DRAIN);
        progress(contender, String.format(Locale.ROOT, "burst of %,d", count));
        try {
            Burst timed = burstPass(contender, count, false);
            // Again, with a full collection every 200 ms: what stays reachable, which is what the queue bounds.
            Burst sampled = burstPass(contender, count, true);
            this.bursts.put(contender.name(), new Burst(timed.drainedSeconds, timed.received, timed.duplicates,
                    timed.deepestQueue, sampled.liveBefore, sampled.peak, count));
            put(label, contender, String.format(Locale.ROOT, "%.1f", timed.drainedSeconds)
                    + (timed.received == count ? "" : " (incomplete)"));
            put(burstRow(BURST_LIVE_HEAP), contender,
                    String.format(Locale.ROOT, "%.0f / %.0f", sampled.liveBefore / 1048576.0, sampled.peak / 1048576.0));
            put(burstRow(BURST_DELIVERED), contender, String.format(Locale.ROOT, "%,d / %,d / %,d",
                    timed.received, count - timed.received, timed.duplicates));
            if (timed.deepestQueue >= 0) {
                put(burstRow("deepest dispatch queue (capacity 10,000)"), contender,
                        String.format(Locale.ROOT, "%,d", timed.deepestQueue));
            }
        }
        catch (Exception ex) {
            failed(contender, label, ex);
        }
    }

    private Burst burstPass(Contender contender, int count, boolean sampleLiveHeap) throws Exception {
        Recorder recorder = new Recorder(count, 1, false);
        try (Contender.Running running = start(contender, recorder)) {
            System.gc();
            long liveBefore = usedHeap();
            AtomicInteger deepestQueue = new AtomicInteger(-1);
            AtomicLong peak = new AtomicLong(liveBefore);
            Thread sampler = new Thread(() -> {
                long nextCollection = System.nanoTime();
                while (!Thread.currentThread().isInterrupted()) {
                    deepestQueue.accumulateAndGet(running.queued(), Math::max);
                    if (sampleLiveHeap && System.nanoTime() - nextCollection >= 0) {
                        System.gc();
                        peak.accumulateAndGet(usedHeap(), Math::max);
                        nextCollection = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                    }
                    try {
                        Thread.sleep(1);
                    }
                    catch (InterruptedException ex) {
                        return;
                    }
                }
            }, "benchmark-burst-sampler");
            sampler.setDaemon(true);
            sampler.start();
            long start = System.nanoTime();
            Workloads.batched(running, 0, count, BURST_BATCH);
            recorder.awaitAll(System.nanoTime() + TimeUnit.SECONDS.toNanos(300));
            double drained = (recorder.lastReceiveNanos() - start) / 1e9;
            sampler.interrupt();
            sampler.join();
            return new Burst(drained, recorder.received(), recorder.duplicates(), deepestQueue.get(), liveBefore,
                    peak.get(), count);
        }
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private record Burst(double drainedSeconds, int received, long duplicates, int deepestQueue, long liveBefore,
            long peak, int count) {

        long lost() {
            return this.count - this.received;
        }

    }

    private Contender.Running start(Contender contender, Recorder recorder) throws Exception {
        String channel = "bench_" + this.channels.incrementAndGet();
        Contender.Running running = contender.start(this.database, channel, recorder.listeners(), recorder);
        try {
            Workloads.awaitListening(running, recorder, 30);
            Workloads.warmUp(running, recorder, this.quick ? 1_000 : 4_000, 2_000);
            if (contender.receivesNotify()) {
                Workloads.warmUpBatched(running, recorder, this.quick ? 20_000 : 300_000, THROUGHPUT_BATCH);
            }
            return running;
        }
        catch (Exception ex) {
            running.close();
            throw ex;
        }
    }

    private void failed(Contender contender, String label, Exception ex) {
        put(label, contender, "failed");
        this.notes.add(contender.name() + ", " + label + ": failed with " + ex);
        ex.printStackTrace(System.out);
    }

    private void put(String row, Contender contender, String cell) {
        this.table.computeIfAbsent(row, (key) -> new LinkedHashMap<>()).put(contender.name(), cell);
    }

    private static String fanOutRow() {
        return String.format(Locale.ROOT, "fan-out to %d listeners at 1,000/s: latency at the last p50 / p99 / p99.9 / max (ms)",
                FAN_OUT);
    }

    private String burstRow(String measure) {
        return String.format(Locale.ROOT, "burst of %,d, NOTIFY %,d per transaction: %s",
                this.quick ? 100_000 : 1_000_000, BURST_BATCH, measure);
    }

    private String replayRow(String measure) {
        return String.format(Locale.ROOT, "replay of a %,d-change gap, written 100 per transaction: %s",
                this.quick ? 20_000 : REPLAY_GAP, measure);
    }

    private void progress(Contender contender, String workload) {
        System.out.printf(Locale.ROOT, "%tT  %-20s %s%n", System.currentTimeMillis(), contender.name(), workload);
    }

    String markdown() throws Exception {
        StringBuilder out = new StringBuilder();
        if (!this.table.isEmpty()) {
            out.append("| workload | ");
            this.contenders.forEach((contender) -> out.append(contender.name()).append(" | "));
            out.append("\n|---|");
            this.contenders.forEach((contender) -> out.append("---|"));
            out.append('\n');
            this.table.forEach((row, cells) -> {
                out.append("| ").append(row).append(" | ");
                this.contenders.forEach((contender) -> out.append(cells.getOrDefault(contender.name(), "")).append(" | "));
                out.append('\n');
            });
            out.append('\n').append(targets()).append('\n');
        }
        if (this.sse != null) {
            out.append(this.sse.markdown()).append('\n');
        }
        out.append(String.format(Locale.ROOT, "Run on %s: %d cores, %s, Java %s (%s), PostgreSQL %s (%s), %s%s.%n",
                LocalDate.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " "
                        + System.getProperty("os.version"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), this.database.serverVersion(),
                this.database.describe(), "max heap " + Runtime.getRuntime().maxMemory() / 1048576 + " MB",
                this.quick ? ", quick mode (not a measurement)" : ""));
        for (String note : this.notes) {
            out.append("\n- ").append(note);
        }
        return out.toString();
    }

    private String targets() {
        StringBuilder out = new StringBuilder("Targets for pg-broadcaster:\n");
        for (int rate : new int[] { 1_000, 5_000 }) {
            double[] ours = this.latencies.get(STARTER + "@" + rate);
            double[] ceiling = this.latencies.get(CEILING + "@" + rate);
            if (ours == null || ceiling == null) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "- %,d/s: p50 %.2f ms (target <= 0.5) %s, p99 %.2f ms (target <= 3) %s; "
                    + "p50 %.1fx and p99 %.1fx the raw ceiling (target <= 2x) %s%n", rate, ours[0], mark(ours[0] <= 0.5),
                    ours[1], mark(ours[1] <= 3), ours[0] / ceiling[0], ours[1] / ceiling[1],
                    mark(ours[0] <= 2 * ceiling[0] && ours[1] <= 2 * ceiling[1])));
        }
        Burst burst = this.bursts.get(STARTER);
        if (burst != null) {
            out.append(String.format(Locale.ROOT, "- burst: the dispatch queue held at most %,d (capacity 10,000), the "
                    + "live heap grew by %.0f MB at most, %,d lost, %,d duplicated (target: bounded heap, nothing lost) %s%n",
                    burst.deepestQueue, (burst.peak - burst.liveBefore) / 1048576.0, burst.lost(),
                    burst.duplicates, mark(burst.deepestQueue <= 10_000 && burst.lost() == 0
                            && burst.duplicates == 0)));
        }
        for (int rate : new int[] { 1_000, 5_000 }) {
            double[] plain = this.latencies.get(STARTER + "@" + rate);
            double[] journal = this.latencies.get(JOURNAL + "@" + rate);
            if (plain == null || journal == null) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "- journal, %,d/s: p50 %.2f ms against %.2f ms for plain NOTIFY, "
                    + "%.2fx (target <= %.1fx) %s; p99 %.2f ms against %.2f ms, %.2fx%n", rate, journal[0], plain[0],
                    journal[0] / plain[0], JOURNAL_P50_RATIO, mark(journal[0] <= JOURNAL_P50_RATIO * plain[0]),
                    journal[1], plain[1], journal[1] / plain[1]));
        }
        this.replayRates.forEach((name, rate) -> out
            .append(String.format(Locale.ROOT, "- %s, replay: %,.0f changes/s (measured; no target)%n", name, rate)));
        Double ours = this.throughputs.get(STARTER);
        Double ceiling = this.throughputs.get(CEILING);
        if (ours != null && ceiling != null) {
            out.append(String.format(Locale.ROOT, "- throughput: %.0f%% of the raw ceiling (target >= 90%%) %s%n",
                    100 * ours / ceiling, mark(ours >= 0.9 * ceiling)));
        }
        return out.toString();
    }

    private static String mark(boolean met) {
        return met ? "met" : "MISSED";
    }

}
