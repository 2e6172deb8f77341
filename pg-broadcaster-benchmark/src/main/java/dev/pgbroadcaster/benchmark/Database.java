package dev.pgbroadcaster.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import dev.pgbroadcaster.testsupport.EmbeddedPostgresServer;

/**
 * The server the benchmark runs against: an embedded PostgreSQL by default, or the one named by
 * {@code PG_BROADCASTER_BENCH_URL} (with {@code PG_BROADCASTER_BENCH_USERNAME} and
 * {@code PG_BROADCASTER_BENCH_PASSWORD}).
 */
final class Database implements AutoCloseable {

    private final EmbeddedPostgresServer embedded;

    final String url;

    final String username;

    final String password;

    private Database(EmbeddedPostgresServer embedded, String url, String username, String password) {
        this.embedded = embedded;
        this.url = url;
        this.username = username;
        this.password = password;
    }

    static Database open() {
        String url = System.getenv("PG_BROADCASTER_BENCH_URL");
        if (url != null && !url.isBlank()) {
            return new Database(null, url, System.getenv("PG_BROADCASTER_BENCH_USERNAME"),
                    System.getenv("PG_BROADCASTER_BENCH_PASSWORD"));
        }
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
        return new Database(server, server.jdbcUrl(), server.username(), server.password());
    }

    String describe() {
        return this.embedded != null ? "embedded PostgreSQL on loopback" : "PG_BROADCASTER_BENCH_URL";
    }

    Connection connect(String applicationName, boolean lowLatencySocket) throws SQLException {
        Properties properties = new Properties();
        if (this.username != null) {
            properties.setProperty("user", this.username);
        }
        if (this.password != null) {
            properties.setProperty("password", this.password);
        }
        properties.setProperty("ApplicationName", applicationName);
        if (lowLatencySocket) {
            properties.setProperty("socketFactory", LowLatencySocketFactory.class.getName());
        }
        return DriverManager.getConnection(this.url, properties);
    }

    String serverVersion() throws SQLException {
        try (Connection connection = connect("pg-broadcaster-benchmark", false);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW server_version")) {
            result.next();
            return result.getString(1);
        }
    }

    boolean tableExists(String name) throws SQLException {
        try (Connection connection = connect("pg-broadcaster-benchmark", false);
                PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, name);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getBoolean(1);
            }
        }
    }

    /**
     * Ends the sessions named {@code applicationName} as {@code pg_terminate_backend} does, as an administrator or
     * a failover would.
     * @return how many it ended
     */
    int terminate(String applicationName) throws SQLException {
        try (Connection connection = connect("pg-broadcaster-benchmark", false);
                PreparedStatement statement = connection.prepareStatement("SELECT count(*) FILTER "
                        + "(WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?")) {
            statement.setString(1, applicationName);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection connection = connect("pg-broadcaster-benchmark", false);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public void close() {
        if (this.embedded != null) {
            this.embedded.close();
        }
    }

}
