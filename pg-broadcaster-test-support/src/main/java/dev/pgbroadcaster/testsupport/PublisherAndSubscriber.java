package dev.pgbroadcaster.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Two embedded PostgreSQL servers joined by logical replication: a publisher ({@code wal_level=logical}) and a
 * subscriber whose subscriptions apply its changes, as a logical replication worker does, with
 * {@code session_replication_role = replica} and an empty {@code search_path}.
 * <p>
 * {@link #replicate(String, String)} creates a table on both, publishes it and subscribes to it, and returns once the
 * subscriber has copied what was there; {@link #awaitOnSubscriber(String)} waits, with a deadline, for a query on
 * the subscriber to say that a change has been applied.
 */
public final class PublisherAndSubscriber implements AutoCloseable {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

    private final RestartablePostgresServer publisher;

    private final RestartablePostgresServer subscriber;

    private PublisherAndSubscriber(RestartablePostgresServer publisher, RestartablePostgresServer subscriber) {
        this.publisher = publisher;
        this.subscriber = subscriber;
    }

    /**
     * Starts both servers; the publisher is started twice, since {@code wal_level} takes effect on a start.
     */
    public static PublisherAndSubscriber start() {
        RestartablePostgresServer publisher = RestartablePostgresServer.create();
        RestartablePostgresServer subscriber = RestartablePostgresServer.create();
        try {
            publisher.start();
            publisher.execute("ALTER SYSTEM SET wal_level = 'logical'");
            publisher.stop();
            publisher.start();
            subscriber.start();
            return new PublisherAndSubscriber(publisher, subscriber);
        }
        catch (RuntimeException ex) {
            subscriber.close();
            publisher.close();
            throw ex;
        }
    }

    /**
     * Creates {@code table} with {@code columns} (SQL, such as {@code id int PRIMARY KEY, name text}; a primary key
     * lets UPDATE and DELETE replicate) on both servers, a publication of it on the publisher and a subscription to
     * it on the subscriber, and waits until the subscriber has copied the table's rows and applies its changes.
     */
    public void replicate(String table, String columns) {
        String create = "CREATE TABLE " + table + " (" + columns + ")";
        this.publisher.execute(create, "CREATE PUBLICATION " + table + "_publication FOR TABLE " + table);
        this.subscriber.execute(create, "CREATE SUBSCRIPTION " + table + "_subscription CONNECTION 'host=localhost port="
                + this.publisher.port() + " dbname=postgres user=postgres' PUBLICATION " + table + "_publication");
        // r: the initial copy is done and the apply worker applies the table's changes.
        awaitOnSubscriber("SELECT count(*) = 1 AND bool_and(r.srsubstate = 'r') FROM pg_subscription_rel r "
                + "JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = '" + table + "_subscription'");
    }

    /**
     * Waits until {@code query}, which returns one boolean, is true on the subscriber.
     * @throws IllegalStateException if it is not within 30 seconds
     */
    public void awaitOnSubscriber(String query) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        try (Connection connection = DriverManager.getConnection(this.subscriber.jdbcUrl(), this.subscriber.username(), "");
                Statement statement = connection.createStatement()) {
            while (!isTrue(statement, query)) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("The subscriber did not get to '" + query + "' within " + DEADLINE);
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not run " + query + " on the subscriber", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the subscriber", ex);
        }
    }

    private static boolean isTrue(Statement statement, String query) throws SQLException {
        try (ResultSet result = statement.executeQuery(query)) {
            return result.next() && result.getBoolean(1);
        }
    }

    public RestartablePostgresServer publisher() {
        return this.publisher;
    }

    public RestartablePostgresServer subscriber() {
        return this.subscriber;
    }

    /**
     * Stops both servers, the subscriber first, and removes their data directories.
     */
    @Override
    public void close() {
        try {
            this.subscriber.close();
        }
        finally {
            this.publisher.close();
        }
    }

}
