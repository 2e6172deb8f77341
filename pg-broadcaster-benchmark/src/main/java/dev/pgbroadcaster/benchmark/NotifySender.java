package dev.pgbroadcaster.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Sends with {@code pg_notify} on a connection of its own in auto-commit mode: one NOTIFY, one transaction.
 */
final class NotifySender implements Sender {

    private final Connection connection;

    private final PreparedStatement single;

    private final PreparedStatement batch;

    NotifySender(Database database, String channel) throws SQLException {
        this.connection = database.connect("pg-broadcaster-benchmark-sender", false);
        this.single = this.connection.prepareStatement("SELECT pg_notify(?, ?)");
        this.single.setString(1, channel);
        // Many notifications in one transaction and one round trip; their latency is not measured.
        this.batch = this.connection.prepareStatement(
                "SELECT count(pg_notify(?, '{\"seq\":' || g || ',\"sentNanos\":0}')) FROM generate_series(?::bigint, ?::bigint) g");
        this.batch.setString(1, channel);
    }

    @Override
    public void send(long seq) throws SQLException {
        long sentNanos = System.nanoTime();
        this.single.setString(2, new BenchEvent(seq, sentNanos).json());
        try (ResultSet result = this.single.executeQuery()) {
            result.next();
        }
    }

    /**
     * Sends {@code first} to {@code last} (inclusive) in one transaction.
     */
    void sendBatch(long first, long last) throws SQLException {
        this.batch.setLong(2, first);
        this.batch.setLong(3, last);
        try (ResultSet result = this.batch.executeQuery()) {
            result.next();
        }
    }

    @Override
    public void close() throws SQLException {
        this.connection.close();
    }

}
