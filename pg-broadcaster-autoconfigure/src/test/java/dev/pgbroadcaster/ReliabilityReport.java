package dev.pgbroadcaster;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Writes {@code docs/reliability.md} from the figures that the fault-injection suite and the hostile-input tests
 * left in {@code target/reliability} ({@link ReliabilityFigures}). Run by {@code -Preliability-report} after the
 * tests.
 */
public final class ReliabilityReport {

    static final String COMMAND = "./mvnw -pl pg-broadcaster-autoconfigure -am clean verify -Preliability-report";

    private ReliabilityReport() {
    }

    /**
     * @param args the figures directory and the report to write
     */
    public static void main(String[] args) throws IOException {
        Path figures = Path.of(args[0]);
        Path report = Path.of(args[1]);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, render(figures), StandardCharsets.UTF_8);
        System.out.println("Wrote " + report.toAbsolutePath().normalize());
    }

    static String render(Path figures) throws IOException {
        List<Properties> faults = rows(figures, ReliabilityFigures.FAULT);
        List<Properties> journalFaults = rows(figures, ReliabilityFigures.JOURNAL_FAULT);
        if (faults.isEmpty() || journalFaults.isEmpty()) {
            throw new IllegalStateException("No figures in " + figures + ": run the tests first");
        }
        Properties environment = load(figures.resolve("environment.properties"));
        Properties payloads = load(figures.resolve("hostile-payloads.properties"));
        Properties channelNames = load(figures.resolve("hostile-channel-names.properties"));

        StringBuilder text = new StringBuilder();
        text.append("# Reliability report\n\n");
        text.append("Faults injected into a running pg-broadcaster against a real PostgreSQL, and what came of them: first "
                + "with LISTEN/NOTIFY alone (the default), then the same faults with the journal "
                + "(`pg.broadcaster.journal.enabled=true`). Every figure below comes from the last run of the committed "
                + "test suite. Without the journal the suite fails if a notification committed while the listener was "
                + "connected is lost, arrives twice or out of order; with the journal, if any notification whose commit "
                + "returned while the application was running is lost or arrives twice; and in both if a count does not "
                + "add up. To run it again and rewrite this file:\n\n");
        text.append("```\n").append(COMMAND).append("\n```\n\n");
        text.append("Last run: ").append(LocalDate.now(ZoneOffset.UTC)).append(", PostgreSQL ")
            .append(environment.getProperty("postgres")).append(" (embedded), Java ").append(environment.getProperty("java"))
            .append(", ").append(environment.getProperty("os")).append(", ").append(environment.getProperty("cores"))
            .append(" cores.\n\n");
        text.append("## Faults without the journal (the default)\n\n");
        table(text, faults, false);
        text.append("\nWhat the columns mean:\n\n");
        text.append("- **time to recover**: from the moment in *measured from* until the application received the "
                + "`BroadcasterConnectedEvent` (LISTEN had been issued again by then). Tests 1 to 5, 12 and 13 reconnect with "
                + "`reconnect.initial-delay=50ms` and `max-delay=1s` to keep the suite short; the defaults are 500 ms "
                + "doubling to 30 s. In row 12 it is the time until the listener was on the new primary: the application's "
                + "URL names both servers with `targetServerType=primary`, and the connected event names the new one "
                + "(`server()`, `serverChanged()`).\n");
        text.append("- **sent**: notifications whose commit returned to the sender (a sender numbers them, about a "
                + "thousand a second at most, one transaction each; a send that failed while the server was down does "
                + "not count).\n");
        text.append("- **delivered**: of those, how many reached the application (an `@EventListener`, or in rows 6 to 8 "
                + "the subscriber).\n");
        text.append("- **lost**: sent but not delivered. LISTEN/NOTIFY delivers at most once, so what is committed while "
                + "the listener is disconnected is gone; for a black hole that is the whole time until the liveness check "
                + "notices, which is why that row loses most. In rows 1 to 5 and 12 every notification committed while the "
                + "listener was connected (from its `BroadcasterConnectedEvent` until the fault) arrived exactly once and "
                + "in order; the suite asserts it. In rows 6 to 10 what the overflow policy or the shutdown timeout "
                + "dropped was counted in `BroadcasterStatistics`.\n");
        long lostBeforeFault = faults.stream()
            .mapToLong((row) -> Long.parseLong(row.getProperty("lostBeforeFault", "0")))
            .sum();
        text.append("  Of the notifications lost in rows 1 to 5, ").append(lostBeforeFault)
            .append(" had been committed before the fault was injected (the suite waits until the last confirmed one "
                    + "has arrived, then injects the fault at once).\n");
        text.append("- **duplicates**: notifications that arrived more than once.\n");
        text.append("- **Rows 14 and 15** are about what health says while the connection is up: a listener that does "
                + "not return with `block` (the listener stops reading, and the server's notification queue grows for "
                + "every session), and a server queue that fills behind another session. Their time to recover runs "
                + "from the listener returning, or the other session ending, until health was `UP` again; the notes say "
                + "how soon it was `DOWN` and what the log said.\n\n");
        journal(text, journalFaults);
        text.append("## Hostile input\n\n");
        text.append("- ").append(payloads.getProperty("payloads")).append(" hostile payloads (truncated and malformed "
                + "JSON, wrong types, arrays, nulls, empty and blank, 7,999-byte payloads, nesting past the parser's limit, "
                + "unicode and control characters), each sent after one of ").append(payloads.getProperty("validAround"))
            .append(" valid notifications: the ").append(payloads.getProperty("invalid"))
            .append(" invalid ones were dropped and each counted in `invalid()`, the odd but valid ones were delivered as "
                    + "written, every valid notification arrived in order, and the listener never stopped.\n");
        text.append("- ").append(channelNames.getProperty("listened")).append(" hostile channel names (quotes, spaces, "
                + "dots, unicode, control characters, SQL fragments, a 63-byte multi-byte name) listened on at once and "
                + "each delivered to as written; ").append(channelNames.getProperty("refused"))
            .append(" names PostgreSQL would truncate or reject refused at startup, naming the property.\n");
        return text.toString();
    }

    private static void journal(StringBuilder text, List<Properties> faults) {
        long sent = sum(faults, "sent");
        long lost = sum(faults, "lost");
        long duplicates = sum(faults, "duplicates");
        text.append("## Faults with the journal\n\n");
        text.append("The same faults, numbered as above, injected into an application with "
                + "`pg.broadcaster.journal.enabled=true`; the sender writes each notification with "
                + "`pg_broadcaster_journal_write` (the journal's writer, as `PgNotifier` calls it) in a transaction of its own, and the starter created the journal table "
                + "on the server the listener listens to. Row 11 has no counterpart above: eight writers at once, some "
                + "holding their transaction open across a fault. In row 12 every `BroadcasterConnectedEvent` after a "
                + "failover has `complete()` `false`, with a warning, on purpose: the new primary is on a new timeline, "
                + "and with asynchronous replication the application may have seen changes the new primary never "
                + "received, whose transaction ids it may hand out again; the suite asserts it. Across all rows, ").append(sent)
            .append(" notifications were committed, ").append(lost).append(" lost and ").append(duplicates)
            .append(" delivered twice.\n\n");
        table(text, faults, true);
        text.append("\nWhat the suite asserts, and what it does not:\n\n");
        text.append("- **Every commit, exactly once.** Every notification whose commit returned while the application "
                + "was running arrived exactly once, whether the listener was connected when it was committed or not. "
                + "Rows 1 to 5, 11 and 12 end only once all of them have arrived and one more catch-up of the journal has "
                + "run, which would have brought any duplicate; row 11 also checks that nothing rolled back arrived, and "
                + "that a gap with nothing written replays nothing.\n");
        text.append("- **Order.** In rows 1 to 5 and 12, within a stretch (live between a `BroadcasterConnectedEvent` and the next "
                + "fault, or one replayed batch) notifications arrived in commit order, and each replayed batch arrived "
                + "before the `BroadcasterConnectedEvent` that counts it in `replayed()`. Across a replay boundary order "
                + "is not promised: a transaction that took its row id before the gap and commits after the replay "
                + "arrives after newer ones.\n");
        text.append("- **replayed**: notifications that the replays after each gap delivered before the connected event "
                + "(`BroadcasterStatistics.replayed()`); the others came live from their doorbells, or from a catch-up. "
                + "**time to recover** includes the replay, since the connected event follows it; row 11 reconnects "
                + "with the same settings as rows 1 to 5.\n");
        text.append("- **What the journal does not change.** A notification committed while the application is not "
                + "running (before it starts, after it closes) is not delivered to it. What an overflow policy drops or "
                + "the shutdown timeout leaves undelivered (rows 7, 8 and 10 above) is counted and not replayed, so those "
                + "rows are not repeated here; with `block` (row 6) nothing is lost. Delivery is to the application's "
                + "listeners once: a listener that throws (row 5) does not get the notification again. An instance away "
                + "for longer than `pg.broadcaster.journal.retention` may miss rows deleted meanwhile, and is told so "
                + "by a `BroadcasterConnectedEvent` whose `complete()` is `false`; no row here came near it. When the "
                + "listener cannot connect at startup (row 4), its first replay reaches back to the moment the application "
                + "started, by the rows' `created_at` (the database's clock against the application's).\n\n");
    }

    private static void table(StringBuilder text, List<Properties> faults, boolean journal) {
        text.append("| # | fault injected | injected | recovered | time to recover: median | max | measured from | sent | "
                + "delivered | lost | duplicates | " + (journal ? "replayed | " : "") + "notes |\n");
        text.append("|---|---|---|---|---|---|---|---|---|---|---|---|" + (journal ? "---|" : "") + "\n");
        for (Properties row : faults) {
            List<Duration> recoveries = recoveries(row.getProperty("recoveryMillis"));
            text.append("| ").append(row.getProperty("order"))
                .append(" | ").append(row.getProperty("fault"))
                .append(" | ").append(row.getProperty("injected"))
                .append(" | ").append(row.getProperty("recovered").startsWith("-") ? "n/a" : row.getProperty("recovered"))
                .append(" | ").append(recoveries.isEmpty() ? "n/a" : millis(median(recoveries)))
                .append(" | ").append(recoveries.isEmpty() ? "n/a" : millis(recoveries.stream().max(Comparator.naturalOrder()).get()))
                .append(" | ").append(row.getProperty("recoveryFrom").isEmpty() ? "n/a" : row.getProperty("recoveryFrom"))
                .append(" | ").append(row.getProperty("sent"))
                .append(" | ").append(row.getProperty("delivered"))
                .append(" | ").append(row.getProperty("lost"))
                .append(" | ").append(row.getProperty("duplicates"));
            if (journal) {
                text.append(" | ").append(row.getProperty("replayed"));
            }
            text.append(" | ").append(row.getProperty("note")).append(" |\n");
        }
    }

    private static List<Properties> rows(Path figures, String prefix) throws IOException {
        List<Properties> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(figures)) {
            for (Path file : files.filter((path) -> path.getFileName().toString().startsWith(prefix)).toList()) {
                rows.add(load(file));
            }
        }
        rows.sort(Comparator.comparingInt((row) -> Integer.parseInt(row.getProperty("order"))));
        return rows;
    }

    private static long sum(List<Properties> rows, String figure) {
        return rows.stream().mapToLong((row) -> Long.parseLong(row.getProperty(figure))).sum();
    }

    static Duration median(List<Duration> durations) {
        List<Duration> sorted = durations.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return (sorted.size() % 2 == 1) ? sorted.get(middle) : sorted.get(middle - 1).plus(sorted.get(middle)).dividedBy(2);
    }

    private static List<Duration> recoveries(String millis) {
        if (millis == null || millis.isBlank()) {
            return List.of();
        }
        return Arrays.stream(millis.split(",")).map((each) -> Duration.ofMillis(Long.parseLong(each.trim()))).toList();
    }

    private static String millis(Duration duration) {
        return duration.toMillis() + " ms";
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }

}
