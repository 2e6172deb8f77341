package dev.pgbroadcaster.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * An embedded PostgreSQL server of a test's own that can be stopped and started again on the same port with
 * the same data directory, as a database server restart or failover looks to its clients. It is created
 * stopped, so it can also stand for a database that is down when an application starts.
 */
public final class RestartablePostgresServer implements AutoCloseable {

    private final int port;

    private final Path dataDirectory;

    private EmbeddedPostgres postgres;

    private RestartablePostgresServer(int port, Path dataDirectory) {
        this.port = port;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Reserves a free loopback port and an empty data directory; the server is not started yet.
     */
    public static RestartablePostgresServer create() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new RestartablePostgresServer(socket.getLocalPort(), Files.createTempDirectory("pg-broadcaster-restartable-"));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not reserve a port and a data directory", ex);
        }
    }

    /**
     * Starts the server, or starts it again, on the port and data directory it had.
     */
    public synchronized RestartablePostgresServer start() {
        if (this.postgres == null) {
            try {
                this.postgres = EmbeddedPostgres.builder()
                    .setPort(this.port)
                    .setDataDirectory(this.dataDirectory)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            }
            catch (IOException ex) {
                throw new UncheckedIOException("Could not start the embedded PostgreSQL server on port " + this.port, ex);
            }
        }
        return this;
    }

    /**
     * Stops the server ("fast" shutdown: sessions are ended, their clients see the connection close).
     */
    public synchronized void stop() {
        if (this.postgres != null) {
            try {
                this.postgres.close();
            }
            catch (IOException ex) {
                throw new UncheckedIOException("Could not stop the embedded PostgreSQL server", ex);
            }
            finally {
                this.postgres = null;
            }
        }
    }

    /**
     * Makes every user but {@code postgres} log in with a password over TCP, as a production server does (the
     * embedded server trusts every login), and reloads the configuration of the running server. The method is
     * {@code md5}, which checks a password stored either way: PostgreSQL 13 stores them as MD5 by default, later
     * versions as SCRAM (and then {@code md5} authenticates with SCRAM).
     */
    public synchronized void requirePasswords() {
        Path hba = this.dataDirectory.resolve("pg_hba.conf");
        try {
            Files.writeString(hba, String.join("\n", "local all all trust", "host all postgres 127.0.0.1/32 trust",
                    "host all postgres ::1/128 trust", "host all all 127.0.0.1/32 md5", "host all all ::1/128 md5", ""));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not write " + hba, ex);
        }
        execute("SELECT pg_reload_conf()");
    }

    /**
     * Runs SQL statements as {@code postgres} on the running server, each in a transaction of its own.
     */
    public void execute(String... sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(), username(), "");
                Statement statement = connection.createStatement()) {
            for (String each : sql) {
                statement.execute(each);
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run " + String.join("; ", sql) + " on port " + this.port, ex);
        }
    }

    public synchronized boolean isRunning() {
        return this.postgres != null;
    }

    public int port() {
        return this.port;
    }

    /**
     * Returns the data directory, which a test may change only while the server is stopped.
     */
    Path dataDirectory() {
        return this.dataDirectory;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + this.port + "/postgres";
    }

    public String username() {
        return "postgres";
    }

    /**
     * Returns the {@code spring.datasource.*} properties that point an application at this server.
     */
    public String[] datasourceProperties() {
        return new String[] { "spring.datasource.url=" + jdbcUrl(), "spring.datasource.username=" + username(),
                "spring.datasource.password=" };
    }

    /**
     * Stops the server and removes its data directory.
     */
    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(this.dataDirectory)) {
            files.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not remove " + this.dataDirectory, ex);
        }
    }

}
