package dev.pgbroadcaster.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.Inbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * A real primary and streaming standby from the embedded binaries, which later tests fail over under an
 * application: what the primary writes reaches the standby, the standby refuses LISTEN as PostgreSQL does, and
 * failing over makes the standby a writable primary and the old primary its standby, again and again.
 */
@ExtendWith(OutputCaptureExtension.class)
class PrimaryAndStandbyTests {

    private static final int FAILOVERS = 3;

    private static final AtomicInteger ids = new AtomicInteger();

    private static PrimaryAndStandby pair;

    @BeforeAll
    static void startPair() {
        long starting = System.nanoTime();
        pair = PrimaryAndStandby.start();
        System.out.println("Primary and streaming standby started in "
                + Duration.ofNanos(System.nanoTime() - starting).toMillis() + " ms");
        pair.execute("CREATE TABLE replicated (id int PRIMARY KEY, written_on int NOT NULL)");
    }

    @AfterAll
    static void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void aRowWrittenOnThePrimaryAppearsOnTheStandby() throws SQLException {
        int id = writeOnPrimary();
        await().atMost(Inbox.DEADLINE)
            .until(() -> query(pair.standbyUrl(), "SELECT count(*) FROM replicated WHERE id = " + id), "1"::equals);
    }

    @Test
    void onceCaughtUpTheStandbyHasEveryTransactionThePrimaryAcknowledged() throws SQLException {
        int first = ids.get() + 1;
        try (Connection connection = connect(pair.primaryUrl()); Statement statement = connection.createStatement()) {
            // Committed one by one, asynchronously as the embedded server does, so that the last ones may still be in
            // the primary's WAL buffers when they are acknowledged.
            for (int row = 0; row < 200; row++) {
                statement.execute("INSERT INTO replicated VALUES (" + ids.incrementAndGet() + ", inet_server_port())");
            }
        }
        int last = ids.get();
        pair.awaitStandbyCaughtUp();
        assertThat(query(pair.standbyUrl(), "SELECT count(*) FROM replicated WHERE id BETWEEN " + first + " AND "
                + last)).isEqualTo(String.valueOf(last - first + 1));
    }

    @Test
    void theStandbyRefusesListenAsEveryHotStandbyDoes() throws SQLException {
        try (Connection connection = connect(pair.standbyUrl()); Statement statement = connection.createStatement()) {
            assertThatExceptionOfType(SQLException.class).isThrownBy(() -> statement.execute("LISTEN on_a_standby"))
                .withMessageContaining("cannot execute LISTEN during recovery")
                .satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("25006"));
        }
    }

    @Test
    void failingOverMakesTheStandbyAWritablePrimaryAndTheOldPrimaryItsStandbyAgainAndAgain() throws SQLException {
        for (int round = 1; round <= FAILOVERS; round++) {
            String oldPrimary = pair.primaryUrl();
            int writtenBefore = writeOnPrimary();
            PrimaryAndStandby.Failover failover = pair.failover();
            System.out.println("Failover " + round + ": " + failover);

            assertThat(pair.primaryUrl()).isNotEqualTo(oldPrimary);
            assertThat(pair.standbyUrl()).isEqualTo(oldPrimary);
            assertThat(query(pair.primaryUrl(), "SELECT pg_is_in_recovery()")).isEqualTo("f");
            assertThat(query(pair.standbyUrl(), "SELECT pg_is_in_recovery()")).isEqualTo("t");
            assertThat(query(pair.primaryUrl(), "SELECT count(*) FROM replicated WHERE id = " + writtenBefore))
                .as("committed on the old primary before it stopped").isEqualTo("1");
            assertThat(query(pair.multiHostUrl(), "SELECT inet_server_port()"))
                .isEqualTo(query(pair.primaryUrl(), "SELECT inet_server_port()"));

            int writtenAfter = writeOnPrimary();
            await().atMost(Inbox.DEADLINE)
                .until(() -> query(pair.standbyUrl(), "SELECT count(*) FROM replicated WHERE id = " + writtenAfter),
                        "1"::equals);
        }
    }

    private static int writeOnPrimary() throws SQLException {
        int id = ids.incrementAndGet();
        try (Connection connection = connect(pair.primaryUrl()); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO replicated VALUES (" + id + ", inet_server_port())");
        }
        return id;
    }

    private static String query(String url, String sql) throws SQLException {
        try (Connection connection = connect(url);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    private static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, pair.username(), "");
    }

}
