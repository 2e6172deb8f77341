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
        List<Properties> faults = new ArrayList<>();
        try (Stream<Path> files = Files.list(figures)) {
            for (Path file : files.filter((path) -> path.getFileName().toString().startsWith("fault-")).toList()) {
                faults.add(load(file));
            }
        }
        if (faults.isEmpty()) {
            throw new IllegalStateException("No figures in " + figures + ": run the tests first");
        }
        faults.sort(Comparator.comparingInt((row) -> Integer.parseInt(row.getProperty("order"))));
        Properties environment = load(figures.resolve("environment.properties"));
        Properties payloads = load(figures.resolve("hostile-payloads.properties"));
        Properties channelNames = load(figures.resolve("hostile-channel-names.properties"));

        StringBuilder text = new StringBuilder();
        text.append("# Reliability report\n\n");
        text.append("Faults injected into a running pg-broadcaster against a real PostgreSQL, and what came of them. Every "
                + "figure below comes from the last run of the committed test suite; the suite fails if a notification "
                + "committed while the listener was connected is lost, arrives twice or out of order, or if a count does "
                + "not add up. To run it again and rewrite this file:\n\n");
        text.append("```\n").append(COMMAND).append("\n```\n\n");
        text.append("Last run: ").append(LocalDate.now(ZoneOffset.UTC)).append(", PostgreSQL ")
            .append(environment.getProperty("postgres")).append(" (embedded), Java ").append(environment.getProperty("java"))
            .append(", ").append(environment.getProperty("os")).append(", ").append(environment.getProperty("cores"))
            .append(" cores.\n\n");
        text.append("## Faults\n\n");
        text.append("| # | fault injected | injected | recovered | time to recover: median | max | measured from | sent | "
                + "delivered | lost | duplicates | notes |\n");
        text.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        int number = 0;
        for (Properties row : faults) {
            List<Duration> recoveries = recoveries(row.getProperty("recoveryMillis"));
            text.append("| ").append(++number)
                .append(" | ").append(row.getProperty("fault"))
                .append(" | ").append(row.getProperty("injected"))
                .append(" | ").append(row.getProperty("recovered").startsWith("-") ? "n/a" : row.getProperty("recovered"))
                .append(" | ").append(recoveries.isEmpty() ? "n/a" : millis(median(recoveries)))
                .append(" | ").append(recoveries.isEmpty() ? "n/a" : millis(recoveries.stream().max(Comparator.naturalOrder()).get()))
                .append(" | ").append(row.getProperty("recoveryFrom").isEmpty() ? "n/a" : row.getProperty("recoveryFrom"))
                .append(" | ").append(row.getProperty("sent"))
                .append(" | ").append(row.getProperty("delivered"))
                .append(" | ").append(row.getProperty("lost"))
                .append(" | ").append(row.getProperty("duplicates"))
                .append(" | ").append(row.getProperty("note"))
                .append(" |\n");
        }
        text.append("\nWhat the columns mean:\n\n");
        text.append("- **time to recover**: from the moment in *measured from* until the application received the "
                + "`BroadcasterConnectedEvent` (LISTEN had been issued again by then). Tests 1 to 5 reconnect with "
                + "`reconnect.initial-delay=50ms` and `max-delay=1s` to keep the suite short; the defaults are 500 ms "
                + "doubling to 30 s.\n");
        text.append("- **sent**: notifications whose commit returned to the sender (a sender numbers them, about a "
                + "thousand a second at most, one transaction each; a send that failed while the server was down does "
                + "not count).\n");
        text.append("- **delivered**: of those, how many reached the application (an `@EventListener`, or in rows 6 to 8 "
                + "the subscriber).\n");
        text.append("- **lost**: sent but not delivered. LISTEN/NOTIFY delivers at most once, so what is committed while "
                + "the listener is disconnected is gone; for a black hole that is the whole time until the liveness check "
                + "notices, which is why that row loses most. In rows 1 to 5 every notification committed while the "
                + "listener was connected (from its `BroadcasterConnectedEvent` until the fault) arrived exactly once and "
                + "in order; the suite asserts it. In rows 6 to 10 what the overflow policy or the shutdown timeout "
                + "dropped was counted in `BroadcasterStatistics`.\n");
        long lostBeforeFault = faults.stream()
            .mapToLong((row) -> Long.parseLong(row.getProperty("lostBeforeFault", "0")))
            .sum();
        text.append("  Of the notifications lost in rows 1 to 5, ").append(lostBeforeFault)
            .append(" had been committed before the fault was injected (the suite waits until the last confirmed one "
                    + "has arrived, then injects the fault at once).\n");
        text.append("- **duplicates**: notifications that arrived more than once.\n\n");
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
