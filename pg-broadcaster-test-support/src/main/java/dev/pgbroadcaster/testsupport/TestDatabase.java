package dev.pgbroadcaster.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL server the tests run against: the one named by {@value #URL_VARIABLE} (with
 * {@value #USERNAME_VARIABLE} and {@value #PASSWORD_VARIABLE}) when set, otherwise an embedded server started
 * once per JVM and stopped when it exits.
 */
public final class TestDatabase {

    public static final String URL_VARIABLE = "PG_BROADCASTER_TEST_URL";

    public static final String USERNAME_VARIABLE = "PG_BROADCASTER_TEST_USERNAME";

    public static final String PASSWORD_VARIABLE = "PG_BROADCASTER_TEST_PASSWORD";

    private static final AtomicInteger names = new AtomicInteger();

    private static TestDatabase instance;

    private final String jdbcUrl;

    private final String username;

    private final String password;

    private TestDatabase(String jdbcUrl, String username, String password) {
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
    }

    public static synchronized TestDatabase get() {
        if (instance == null) {
            instance = create(System.getenv());
        }
        return instance;
    }

    private static TestDatabase create(Map<String, String> environment) {
        String url = environment.get(URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            return new TestDatabase(url, environment.get(USERNAME_VARIABLE), environment.get(PASSWORD_VARIABLE));
        }
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "embedded-postgres-shutdown"));
        return new TestDatabase(server.jdbcUrl(), server.username(), server.password());
    }

    public String jdbcUrl() {
        return this.jdbcUrl;
    }

    public String username() {
        return this.username;
    }

    public String password() {
        return this.password;
    }

    /**
     * Returns the {@code spring.datasource.*} properties that point an application at this server.
     */
    public String[] datasourceProperties() {
        return new String[] { "spring.datasource.url=" + this.jdbcUrl,
                "spring.datasource.username=" + (this.username != null ? this.username : ""),
                "spring.datasource.password=" + (this.password != null ? this.password : "") };
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(this.jdbcUrl, this.username, this.password);
    }

    /**
     * Sends one notification in its own transaction.
     */
    public void notify(String channel, String payload) throws SQLException {
        try (Connection connection = connect();
                PreparedStatement statement = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            statement.setString(1, channel);
            statement.setString(2, payload);
            statement.execute();
        }
    }

    /**
     * Runs SQL statements in one transaction.
     */
    public void execute(String... sql) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            for (String each : sql) {
                statement.execute(each);
            }
            connection.commit();
        }
    }

    /**
     * Returns a name no other caller in this JVM gets, so tests that share the server do not hear each other.
     */
    public static String uniqueName(String prefix) {
        return prefix + "_" + ProcessHandle.current().pid() + "_" + names.incrementAndGet();
    }

}
