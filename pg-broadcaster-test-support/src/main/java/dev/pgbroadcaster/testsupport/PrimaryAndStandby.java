package dev.pgbroadcaster.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Two embedded PostgreSQL servers, a primary and a hot standby streaming from it, each on a loopback port and data
 * directory of its own, for tests of what clients see when the primary fails over to its standby.
 * <p>
 * The embedded binaries have no {@code pg_basebackup}, so the standby starts as a copy of the primary's data
 * directory taken while the primary is stopped, with {@code standby.signal} and {@code primary_conninfo} added (in
 * {@code postgresql.auto.conf}: the embedded server hands {@code -c} options to {@code pg_ctl}, which splits them at
 * spaces). {@link #failover()} leaves the old primary following the new one, so a test can fail over again and
 * again; {@link #multiHostUrl()} names both servers in a fixed order, as an application's configuration would.
 * {@link #primaryUrl()} and {@link #standbyUrl()} follow the roles.
 */
public final class PrimaryAndStandby implements AutoCloseable {

    private static final String USER = "postgres";

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

    /** What the server keeps about its own run, which a copy must not inherit. */
    private static final Set<String> NOT_COPIED = Set.of("postmaster.pid", "postmaster.opts", "epg-lock");

    private final RestartablePostgresServer first;

    private final RestartablePostgresServer second;

    private RestartablePostgresServer primary;

    private RestartablePostgresServer standby;

    private PrimaryAndStandby(RestartablePostgresServer primary, RestartablePostgresServer standby) {
        this.first = primary;
        this.second = standby;
        this.primary = primary;
        this.standby = standby;
    }

    /**
     * Starts a primary and a standby made from it, and waits until the standby streams.
     */
    public static PrimaryAndStandby start() {
        RestartablePostgresServer primary = RestartablePostgresServer.create();
        RestartablePostgresServer standby = null;
        try {
            primary.start();
            // max_wal_senders stays at its default: a standby refuses to start with fewer than its primary's control
            // file records, and the copy's still records the run before these settings take effect.
            primary.execute("ALTER SYSTEM SET wal_level = 'replica'", "ALTER SYSTEM SET max_wal_senders = 10",
                    "ALTER SYSTEM SET hot_standby = 'on'",
                    // Enough for a server that was away during a failover to catch up from what the primary kept.
                    "ALTER SYSTEM SET wal_keep_size = '256MB'",
                    // A standby that lost its primary tries again every 5 s by default, which a test that brings
                    // the primary back would wait out before the standby streams again.
                    "ALTER SYSTEM SET wal_retrieve_retry_interval = '100ms'",
                    // The default since PostgreSQL 12, and what lets the old primary follow the new one's timeline.
                    "ALTER SYSTEM SET recovery_target_timeline = 'latest'");
            writeHostBasedAuthentication(primary.dataDirectory());
            // Reserved while the primary listens, so that the two ports differ.
            standby = RestartablePostgresServer.create();
            primary.stop();
            copyStoppedDataDirectory(primary.dataDirectory(), standby.dataDirectory());
            follow(standby, primary);
            primary.start();
            standby.start();
            PrimaryAndStandby pair = new PrimaryAndStandby(primary, standby);
            pair.awaitStandbyStreaming();
            return pair;
        }
        catch (RuntimeException ex) {
            closeQuietly(primary, ex);
            closeQuietly(standby, ex);
            throw ex;
        }
    }

    public synchronized String primaryUrl() {
        return url(this.primary);
    }

    public synchronized String standbyUrl() {
        return url(this.standby);
    }

    /**
     * Returns a URL that names both servers and lets the driver pick the one that is primary at the time.
     */
    public String multiHostUrl() {
        return "jdbc:postgresql://127.0.0.1:" + this.first.port() + ",127.0.0.1:" + this.second.port()
                + "/postgres?targetServerType=primary";
    }

    public String username() {
        return USER;
    }

    /**
     * Returns the {@code spring.datasource.*} properties that point an application at {@link #multiHostUrl()}.
     */
    public String[] datasourceProperties() {
        return new String[] { "spring.datasource.url=" + multiHostUrl(), "spring.datasource.username=" + USER,
                "spring.datasource.password=" };
    }

    /**
     * Runs SQL statements on the current primary, each in a transaction of its own.
     */
    public synchronized void execute(String... sql) {
        this.primary.execute(sql);
    }

    /**
     * Waits until the primary reports the standby streaming, or the standby reports itself streaming.
     */
    public synchronized void awaitStandbyStreaming() {
        RestartablePostgresServer primary = this.primary;
        RestartablePostgresServer standby = this.standby;
        await("the standby on port " + standby.port() + " streams from the primary on port " + primary.port(),
                () -> count(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' "
                        + "AND application_name = '" + applicationName(standby) + "'") > 0
                        || count(standby, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'") > 0,
                () -> describeReplication(primary, standby));
    }

    /**
     * Waits until the standby has replayed every transaction committed on the primary so far.
     */
    public synchronized void awaitStandbyCaughtUp() {
        RestartablePostgresServer primary = this.primary;
        RestartablePostgresServer standby = this.standby;
        String committed = flushEverythingCommitted(primary);
        await("the standby on port " + standby.port() + " replays the primary's WAL up to " + committed,
                () -> count(standby,
                        "SELECT count(*) WHERE pg_last_wal_replay_lsn() >= '" + committed + "'::pg_lsn") > 0,
                () -> describeReplication(primary, standby));
    }

    /**
     * Stops the primary (fast shutdown), promotes the standby and makes the old primary a standby of the new one,
     * waiting until it has caught up, so that the pair can fail over again.
     * <p>
     * No copy is made: a primary stopped cleanly while its standby streams first sends it all its WAL, shutdown
     * checkpoint included, so the new primary's timeline forks after everything the old one wrote, and the old one
     * can follow it from where it stopped.
     */
    public synchronized Failover failover() {
        // A primary's shutdown waits only for the standbys that stream from it.
        awaitStandbyStreaming();
        RestartablePostgresServer oldPrimary = this.primary;
        RestartablePostgresServer newPrimary = this.standby;
        long stopping = System.nanoTime();
        oldPrimary.stop();
        if (Files.exists(oldPrimary.dataDirectory().resolve("postmaster.pid"))) {
            throw new IllegalStateException("The primary on port " + oldPrimary.port() + " did not stop within the "
                    + "5 s the embedded server gives pg_ctl");
        }
        long promoting = System.nanoTime();
        if (!"true".equals(text(newPrimary, "SELECT pg_promote(true, " + DEADLINE.toSeconds() + ")::text"))) {
            throw new IllegalStateException("The standby on port " + newPrimary.port() + " was not promoted within "
                    + DEADLINE);
        }
        long rejoining = System.nanoTime();
        follow(oldPrimary, newPrimary);
        oldPrimary.start();
        this.primary = newPrimary;
        this.standby = oldPrimary;
        awaitStandbyCaughtUp();
        awaitStandbyStreaming();
        long done = System.nanoTime();
        return new Failover(Duration.ofNanos(promoting - stopping), Duration.ofNanos(rejoining - promoting),
                Duration.ofNanos(done - rejoining));
    }

    /**
     * Stops both servers and removes their data directories.
     */
    @Override
    public synchronized void close() {
        try {
            this.first.close();
        }
        finally {
            this.second.close();
        }
    }

    private static String url(RestartablePostgresServer server) {
        return "jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres";
    }

    private static String applicationName(RestartablePostgresServer server) {
        return "standby-" + server.port();
    }

    private static void writeHostBasedAuthentication(Path dataDirectory) {
        write(dataDirectory.resolve("pg_hba.conf"), String.join("\n", "local all all trust",
                "host all all 127.0.0.1/32 trust", "host all all ::1/128 trust", "local replication all trust",
                "host replication all 127.0.0.1/32 trust", "host replication all ::1/128 trust", ""));
    }

    /**
     * Makes a stopped server a standby of {@code primary} the next time it starts.
     */
    private static void follow(RestartablePostgresServer server, RestartablePostgresServer primary) {
        Path dataDirectory = server.dataDirectory();
        Path autoConf = dataDirectory.resolve("postgresql.auto.conf");
        List<String> settings = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(autoConf, StandardCharsets.UTF_8)) {
                if (!line.startsWith("primary_conninfo")) {
                    settings.add(line);
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read " + autoConf, ex);
        }
        settings.add("primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=" + USER
                + " application_name=" + applicationName(server) + "'");
        settings.add("");
        write(autoConf, String.join("\n", settings));
        write(dataDirectory.resolve("standby.signal"), "");
    }

    private static void copyStoppedDataDirectory(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (!source.equals(from) && !NOT_COPIED.contains(source.getFileName().toString())) {
                    // Attributes too: the server refuses a data directory that others may read.
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not copy " + from + " to " + to, ex);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not write " + file, ex);
        }
    }

    /**
     * Writes a WAL record after every commit so far and commits it synchronously, so that those commits are flushed
     * and will be sent to the standby, and returns where that record ends. The embedded server commits
     * asynchronously: a commit it has acknowledged may still wait in the WAL buffers, beyond what
     * {@code pg_current_wal_lsn()} reports. A transaction that only takes an xid writes no WAL before its commit
     * record and so commits asynchronously whatever {@code synchronous_commit} says; a transactional logical message
     * is a record of its own, which no one here decodes.
     */
    private static String flushEverythingCommitted(RestartablePostgresServer primary) {
        try (Connection connection = DriverManager.getConnection(url(primary), USER, "");
                Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SET LOCAL synchronous_commit = on");
            String written;
            try (ResultSet result = statement
                .executeQuery("SELECT pg_logical_emit_message(true, 'pg-broadcaster-test-support', '')::text")) {
                result.next();
                written = result.getString(1);
            }
            connection.commit();
            return written;
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not flush the WAL of the primary on port " + primary.port() + ": "
                    + ex.getMessage(), ex);
        }
    }

    private static long count(RestartablePostgresServer server, String sql) {
        return Long.parseLong(text(server, sql));
    }

    private static String text(RestartablePostgresServer server, String sql) {
        try (Connection connection = DriverManager.getConnection(url(server), USER, "");
                PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getString(1);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run " + sql + " on port " + server.port() + ": "
                    + ex.getMessage(), ex);
        }
    }

    private static String describeReplication(RestartablePostgresServer primary, RestartablePostgresServer standby) {
        return "primary (port " + primary.port() + ") pg_stat_replication: "
                + rows(primary, "SELECT application_name, state, sent_lsn, replay_lsn FROM pg_stat_replication")
                + "; standby (port " + standby.port() + ") pg_stat_wal_receiver: "
                + rows(standby, "SELECT status, received_tli FROM pg_stat_wal_receiver") + ", in recovery, received, "
                + "replayed: " + rows(standby, "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn(), "
                        + "pg_last_wal_replay_lsn()");
    }

    private static String rows(RestartablePostgresServer server, String sql) {
        try (Connection connection = DriverManager.getConnection(url(server), USER, "");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            List<String> rows = new ArrayList<>();
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<String> row = new ArrayList<>();
                for (int column = 1; column <= columns; column++) {
                    row.add(result.getString(column));
                }
                rows.add(row.toString());
            }
            return rows.toString();
        }
        catch (SQLException ex) {
            return "(" + ex.getMessage() + ")";
        }
    }

    /**
     * Checks the condition until it holds, treating a failure to check (a server not up yet) as "not yet".
     */
    private static void await(String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            }
            catch (RuntimeException ex) {
                last = ex;
            }
            if (System.nanoTime() - deadline > 0) {
                IllegalStateException failure = new IllegalStateException("Not true within " + DEADLINE + ": " + what
                        + "; " + state.get());
                if (last != null) {
                    failure.addSuppressed(last);
                }
                throw failure;
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting until " + what, ex);
            }
        }
    }

    private static void closeQuietly(RestartablePostgresServer server, RuntimeException failure) {
        if (server != null) {
            try {
                server.close();
            }
            catch (RuntimeException ex) {
                failure.addSuppressed(ex);
            }
        }
    }

    /**
     * How long each step of a {@link #failover()} took.
     * @param stopPrimary the primary's fast shutdown
     * @param promoteStandby {@code pg_promote()}, until the standby accepted writes
     * @param rejoinAsStandby starting the old primary as a standby of the new one, until it had caught up
     */
    public record Failover(Duration stopPrimary, Duration promoteStandby, Duration rejoinAsStandby) {

        @Override
        public String toString() {
            return "stop primary " + stopPrimary().toMillis() + " ms, promote standby " + promoteStandby().toMillis()
                    + " ms, old primary caught up as standby " + rejoinAsStandby().toMillis() + " ms";
        }

    }

}
