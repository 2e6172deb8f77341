package dev.pgbroadcaster.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Sends on a connection of its own in auto-commit mode, one notification per transaction: with {@code pg_notify},
 * or, for the journal, with {@code pg_broadcaster_journal_write}, which writes a row to the journal and rings its
 * doorbell. Both take the same statement shape and the same round trips, so the two differ only in what the
 * server does.
 */
final class NotifySender implements Sender {

    private final Connection connection;

    private final PreparedStatement single;

    private final PreparedStatement batch;

    private NotifySender(Database database, String channel, String send) throws SQLException {
        this.connection = database.connect("pg-broadcaster-benchmark-sender", false);
        this.single = this.connection.prepareStatement("SELECT " + send.formatted("?"));
        this.single.setString(1, channel);
        // Many notifications in one transaction and one round trip; their latency is not measured.
        this.batch = this.connection.prepareStatement("SELECT count("
                + send.formatted("'{\"seq\":' || g || ',\"sentNanos\":0}'") + ") FROM generate_series(?::bigint, ?::bigint) g");
        this.batch.setString(1, channel);
    }

    /**
     * A sender of plain notifications: {@code SELECT pg_notify(channel, payload)}.
     */
    static NotifySender plain(Database database, String channel) throws SQLException {
        return new NotifySender(database, channel, "pg_notify(?, %s)");
    }

    /**
     * A sender through the journal, as {@code PgNotifier} sends with the journal on: {@code SELECT
     * pg_broadcaster_journal_write(channel, payload)}, the default table's writer.
     */
    static NotifySender journal(Database database, String channel) throws SQLException {
        return new NotifySender(database, channel, "pg_broadcaster_journal_write(?, %s)");
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
