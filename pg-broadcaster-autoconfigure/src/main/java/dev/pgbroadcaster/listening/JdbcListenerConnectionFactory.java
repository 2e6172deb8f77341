package dev.pgbroadcaster.listening;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.support.Redaction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.postgresql.Driver;

/**
 * Opens listener connections with the PostgreSQL JDBC driver from a URL and credentials.
 * <p>
 * Unless told otherwise, connections read through {@link LowLatencySocketFactory}, which spares each wake-up
 * of the listener the driver's 1 ms "message pending?" probe. A URL that names a {@code socketFactory} of
 * its own keeps it (it may be what reaches the server at all), and pays that millisecond.
 */
public final class JdbcListenerConnectionFactory implements ListenerConnectionFactory {

    private static final Log logger = LogFactory.getLog(JdbcListenerConnectionFactory.class);

    private static final Driver DRIVER = new Driver();

    /** How long a connection attempt may wait for the server to answer, in seconds. */
    public static final int CONNECT_SOCKET_TIMEOUT_SECONDS = 10;

    private static final String SOCKET_FACTORY = "socketFactory";

    private final String url;

    private final String username;

    private final String password;

    private final String applicationName;

    private final boolean lowLatencySocket;

    /**
     * Opens connections that read through the low-latency socket when the URL allows it.
     * @param url a {@code jdbc:postgresql:} URL; its parameters (TLS settings among them) apply
     * @param username the user, or {@code null} to leave it to the URL or the driver's default
     * @param password the password, or {@code null}
     * @param applicationName the {@code application_name} the connection shows in {@code pg_stat_activity}
     */
    public JdbcListenerConnectionFactory(String url, String username, String password, String applicationName) {
        this(url, username, password, applicationName, true);
    }

    /**
     * @param url a {@code jdbc:postgresql:} URL; its parameters (TLS settings among them) apply
     * @param username the user, or {@code null} to leave it to the URL or the driver's default
     * @param password the password, or {@code null}
     * @param applicationName the {@code application_name} the connection shows in {@code pg_stat_activity}
     * @param lowLatencySocket whether to read through {@link LowLatencySocketFactory}; a URL that names a
     * {@code socketFactory} keeps its own regardless
     */
    public JdbcListenerConnectionFactory(String url, String username, String password, String applicationName,
            boolean lowLatencySocket) {
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("Not a PostgreSQL JDBC URL: " + Redaction.url(url));
        }
        this.url = url;
        this.username = username;
        this.password = password;
        this.applicationName = applicationName;
        this.lowLatencySocket = lowLatencySocket && lowLatencySocketUsable(url);
    }

    /**
     * Whether connections read through {@link LowLatencySocketFactory}.
     */
    public boolean usesLowLatencySocket() {
        return this.lowLatencySocket;
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
        if (this.lowLatencySocket) {
            properties.setProperty(SOCKET_FACTORY, LowLatencySocketFactory.class.getName());
        }
        Connection connection = DRIVER.connect(this.url, properties);
        if (connection == null) {
            throw new SQLException("The PostgreSQL driver does not accept the URL " + Redaction.url(this.url));
        }
        connection.setAutoCommit(true);
        return connection;
    }

    private static boolean lowLatencySocketUsable(String url) {
        Properties parameters = Driver.parseURL(url, null);
        String own = (parameters != null) ? parameters.getProperty(SOCKET_FACTORY) : null;
        if (own != null && !own.equals(LowLatencySocketFactory.class.getName())) {
            logger.info("The listener connection uses the socketFactory its URL names (" + own
                    + ") rather than the low-latency socket, so each wake-up of the listener waits about 1 ms "
                    + "longer, as with any pgjdbc listener. Leave socketFactory out of pg.broadcaster.url to "
                    + "avoid that.");
            return false;
        }
        if (!driverSees(LowLatencySocketFactory.class)) {
            logger.info("The PostgreSQL driver cannot load " + LowLatencySocketFactory.class.getName()
                    + " from its class loader, so the listener connection uses the driver's own socket and each "
                    + "wake-up waits about 1 ms longer. Put pg-broadcaster beside the driver to avoid that.");
            return false;
        }
        return true;
    }

    // The driver loads the socket factory by name through its own class loader.
    private static boolean driverSees(Class<?> type) {
        try {
            return Class.forName(type.getName(), false, Driver.class.getClassLoader()) == type;
        }
        catch (ClassNotFoundException | LinkageError ex) {
            return false;
        }
    }

    @Override
    public String description() {
        return Redaction.url(this.url) + (this.username != null ? " as user '" + this.username + "'" : "");
    }

    @Override
    public String toString() {
        return description();
    }

}
