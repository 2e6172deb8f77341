package dev.pgbroadcaster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import dev.pgbroadcaster.testsupport.TestDatabase;

/**
 * Writes what the fault-injection suite and the hostile-input tests measured to {@code target/reliability}, one
 * file per row of the report that {@link ReliabilityReport} makes of them.
 */
final class ReliabilityFigures {

    static final Path DIRECTORY = Path.of("target", "reliability");

    /** The files of the faults without the journal start with this. */
    static final String FAULT = "fault-";

    /** The files of the faults with the journal start with this. */
    static final String JOURNAL_FAULT = "journal-fault-";

    private ReliabilityFigures() {
    }

    /**
     * Records one kind of fault.
     * @param order where the row goes in the report
     * @param fault what was injected
     * @param recoveryFrom the moment time to recover is measured from
     */
    static void fault(int order, String fault, String recoveryFrom, DeliveryAudit.Result result, String note) {
        Properties row = row(order, fault, recoveryFrom, result.injected(), result.recovered(), result.recoveries(),
                result.sent(), result.delivered(), result.lost(), result.duplicates(), note);
        row.setProperty("lostBeforeFault", String.valueOf(result.lostBeforeFault()));
        write(FAULT + order + ".properties", row);
    }

    /**
     * Records one kind of fault, whose figures the test worked out itself.
     * @param recovered how many times delivery resumed, or -1 where that does not apply
     */
    static void fault(int order, String fault, String recoveryFrom, int injected, int recovered, List<Duration> recoveries,
            long sent, long delivered, long lost, long duplicates, String note) {
        write(FAULT + order + ".properties",
                row(order, fault, recoveryFrom, injected, recovered, recoveries, sent, delivered, lost, duplicates, note));
    }

    /**
     * Records one kind of fault injected into an application with the journal.
     * @param replayed the changes its replays delivered
     */
    static void journalFault(int order, String fault, String recoveryFrom, DeliveryAudit.Result result, long replayed,
            String note) {
        journalFault(order, fault, recoveryFrom, result.injected(), result.recovered(), result.recoveries(), result.sent(),
                result.delivered(), result.lost(), result.duplicates(), replayed, note);
    }

    /**
     * Records one kind of fault injected into an application with the journal, whose figures the test worked out
     * itself.
     */
    static void journalFault(int order, String fault, String recoveryFrom, int injected, int recovered,
            List<Duration> recoveries, long sent, long delivered, long lost, long duplicates, long replayed, String note) {
        Properties row = row(order, fault, recoveryFrom, injected, recovered, recoveries, sent, delivered, lost,
                duplicates, note);
        row.setProperty("replayed", String.valueOf(replayed));
        write(JOURNAL_FAULT + order + ".properties", row);
    }

    private static Properties row(int order, String fault, String recoveryFrom, int injected, int recovered,
            List<Duration> recoveries, long sent, long delivered, long lost, long duplicates, String note) {
        Properties row = new Properties();
        row.setProperty("order", String.valueOf(order));
        row.setProperty("fault", fault);
        row.setProperty("recoveryFrom", recoveryFrom);
        row.setProperty("injected", String.valueOf(injected));
        row.setProperty("recovered", String.valueOf(recovered));
        row.setProperty("recoveryMillis", recoveries.stream().map((each) -> String.valueOf(each.toMillis())).collect(Collectors.joining(",")));
        row.setProperty("sent", String.valueOf(sent));
        row.setProperty("delivered", String.valueOf(delivered));
        row.setProperty("lost", String.valueOf(lost));
        row.setProperty("duplicates", String.valueOf(duplicates));
        row.setProperty("note", note);
        environment();
        return row;
    }

    /**
     * Records the hostile payloads tried.
     */
    static void hostilePayloads(int payloads, int invalid, int validAround) {
        Properties row = new Properties();
        row.setProperty("payloads", String.valueOf(payloads));
        row.setProperty("invalid", String.valueOf(invalid));
        row.setProperty("validAround", String.valueOf(validAround));
        write("hostile-payloads.properties", row);
    }

    /**
     * Records the hostile channel names tried.
     */
    static void hostileChannelNames(int listened, int refused) {
        Properties row = new Properties();
        row.setProperty("listened", String.valueOf(listened));
        row.setProperty("refused", String.valueOf(refused));
        write("hostile-channel-names.properties", row);
    }

    private static void environment() {
        Properties environment = new Properties();
        try (Connection connection = TestDatabase.get().connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW server_version")) {
            result.next();
            environment.setProperty("postgres", result.getString(1));
        }
        catch (SQLException ex) {
            environment.setProperty("postgres", "unknown");
        }
        environment.setProperty("java", System.getProperty("java.version"));
        environment.setProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        environment.setProperty("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        write("environment.properties", environment);
    }

    private static void write(String name, Properties properties) {
        try {
            Files.createDirectories(DIRECTORY);
            try (Writer writer = Files.newBufferedWriter(DIRECTORY.resolve(name), StandardCharsets.UTF_8)) {
                properties.store(writer, null);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

}
