package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.pgbroadcaster.testsupport.TestDatabase;

/**
 * Sends numbered notifications, one per transaction, about a thousand a second at most, on a thread of its own
 * until closed, and records when each commit returned. A send that fails (the server is down or restarting)
 * is not counted as sent; the sender reconnects and goes on. It sends with a plain NOTIFY, or through the journal
 * as an application with {@code pg.broadcaster.journal.enabled=true} does ({@link Route}).
 */
final class NumberedSender implements AutoCloseable {

    /** How long a test may wait for the sender: on a loaded machine each commit can take tens of milliseconds. */
    static final Duration DEADLINE = Duration.ofSeconds(30);

    private static final String TABLE_PREFIX = "n";

    private final String url;

    private final String username;

    private final String password;

    private final String channel;

    private final Route route;

    private final Map<Long, Long> confirmedAt = new ConcurrentHashMap<>();

    private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();

    private final AtomicLong lastConfirmed = new AtomicLong();

    private final AtomicLong failures = new AtomicLong();

    private final Thread thread;

    private volatile boolean stopped;

    private Connection connection;

    NumberedSender(String url, String username, String password, String channel, Route route) {
        this.url = url;
        this.username = username;
        this.password = password;
        this.channel = channel;
        this.route = route;
        this.thread = new Thread(this::run, "numbered-sender");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Starts sending on {@code channel} of the test database, by {@code route}.
     */
    static NumberedSender toTestDatabase(String channel, Route route) {
        TestDatabase database = TestDatabase.get();
        return new NumberedSender(database.jdbcUrl(), database.username(), database.password(), channel, route);
    }

    static ChangeNotification notification(long number) {
        return new ChangeNotification("fault", TABLE_PREFIX + number, "INSERT");
    }

    /**
     * Returns the number carried by {@code notification}, or -1 if it is not one of ours.
     */
    static long number(ChangeNotification notification) {
        // Every notification of a test passes through the recorder: a table that merely starts with the prefix is
        // not one of ours.
        String table = notification.table();
        boolean ours = "fault".equals(notification.schema()) && table.length() > TABLE_PREFIX.length()
                && table.startsWith(TABLE_PREFIX) && table.substring(TABLE_PREFIX.length()).chars().allMatch(Character::isDigit);
        return ours ? Long.parseLong(table.substring(TABLE_PREFIX.length())) : -1;
    }

    Route route() {
        return this.route;
    }

    /** The highest number whose commit has returned. */
    long lastConfirmed() {
        return this.lastConfirmed.get();
    }

    /** When the commit of each confirmed number returned ({@link System#nanoTime()}). */
    Map<Long, Long> confirmedAt() {
        return this.confirmedAt;
    }

    /**
     * When each confirmed number was sent, before its statement left ({@link System#nanoTime()}): its commit
     * happened after that, and before {@link #confirmedAt()}.
     */
    Map<Long, Long> sentAt() {
        return this.sentAt;
    }

    long failures() {
        return this.failures.get();
    }

    private void run() {
        long number = 0;
        while (!this.stopped) {
            number++;
            try {
                long sending = System.nanoTime();
                send(number);
                long now = System.nanoTime();
                this.sentAt.put(number, sending);
                this.confirmedAt.put(number, now);
                this.lastConfirmed.set(number);
            }
            catch (SQLException ex) {
                this.failures.incrementAndGet();
                closeConnection();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        closeConnection();
    }

    private void send(long number) throws SQLException {
        if (this.connection == null) {
            this.connection = DriverManager.getConnection(this.url, this.username, this.password);
        }
        try (PreparedStatement statement = this.connection.prepareStatement(this.route.sql)) {
            statement.setString(1, this.channel);
            statement.setString(2, notification(number).toString());
            statement.execute();
        }
    }

    private void closeConnection() {
        if (this.connection != null) {
            try {
                this.connection.close();
            }
            catch (SQLException ex) {
                // Replaced by a new connection anyway.
            }
            this.connection = null;
        }
    }

    /**
     * Stops sending; once this returns no more notifications are sent.
     */
    @Override
    public void close() throws InterruptedException {
        this.stopped = true;
        this.thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    /**
     * How each notification is written.
     */
    enum Route {

        /** {@code pg_notify}: LISTEN/NOTIFY alone, at most once. */
        NOTIFY("SELECT pg_notify(?, ?)"),

        /** The default journal table's writer, as PgNotifier calls it: a row, and its doorbell at commit. */
        JOURNAL("SELECT pg_broadcaster_journal_write(?, ?)");

        private final String sql;

        Route(String sql) {
            this.sql = sql;
        }

    }

}
