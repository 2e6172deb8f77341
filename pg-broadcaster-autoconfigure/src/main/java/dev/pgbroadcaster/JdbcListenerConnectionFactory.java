package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import org.postgresql.Driver;

/**
 * Opens listener connections with the PostgreSQL JDBC driver from a URL and credentials.
 */
public final class JdbcListenerConnectionFactory implements ListenerConnectionFactory {

    private static final Driver DRIVER = new Driver();

    /** How long a connection attempt may wait for the server to answer, in seconds. */
    static final int CONNECT_SOCKET_TIMEOUT_SECONDS = 10;

    private final String url;

    private final String username;

    private final String password;

    private final String applicationName;

    /**
     * @param url a {@code jdbc:postgresql:} URL; its parameters (TLS settings among them) apply
     * @param username the user, or {@code null} to leave it to the URL or the driver's default
     * @param password the password, or {@code null}
     * @param applicationName the {@code application_name} the connection shows in {@code pg_stat_activity}
     */
    public JdbcListenerConnectionFactory(String url, String username, String password, String applicationName) {
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("Not a PostgreSQL JDBC URL: " + redact(url));
        }
        this.url = url;
        this.username = username;
        this.password = password;
        this.applicationName = applicationName;
    }

    @Override
    public Connection connect() throws SQLException {
        Properties properties = new Properties();
        if (this.username != null) {
            properties.setProperty("user", this.username);
        }
        if (this.password != null) {
            properties.setProperty("password", this.password);
        }
        if (this.applicationName != null) {
            properties.setProperty("ApplicationName", this.applicationName);
        }
        // A dead peer goes unnoticed by a blocking read; keepalive lets the kernel find out.
        properties.setProperty("tcpKeepAlive", "true");
        // Without it, an attempt to reach a server that accepts the connection but never answers hangs for good;
        // once connected, the listener bounds every round trip itself. A socketTimeout in the URL wins.
        properties.setProperty("socketTimeout", String.valueOf(CONNECT_SOCKET_TIMEOUT_SECONDS));
        Connection connection = DRIVER.connect(this.url, properties);
        if (connection == null) {
            throw new SQLException("The PostgreSQL driver does not accept the URL " + redact(this.url));
        }
        connection.setAutoCommit(true);
        return connection;
    }

    @Override
    public String description() {
        return redact(this.url) + (this.username != null ? " as user '" + this.username + "'" : "");
    }

    @Override
    public String toString() {
        return description();
    }

    /**
     * Returns the URL without its parameters or user information, which may carry a password.
     */
    public static String redact(String url) {
        if (url == null) {
            return "null";
        }
        int parameters = url.indexOf('?');
        String withoutParameters = parameters >= 0 ? url.substring(0, parameters) : url;
        int userInfo = withoutParameters.indexOf('@');
        if (userInfo >= 0 && withoutParameters.startsWith("jdbc:postgresql://")) {
            withoutParameters = "jdbc:postgresql://" + withoutParameters.substring(userInfo + 1);
        }
        return withoutParameters;
    }

}
