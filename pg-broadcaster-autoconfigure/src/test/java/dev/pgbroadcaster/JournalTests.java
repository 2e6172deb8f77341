package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import dev.pgbroadcaster.testsupport.LoopbackProxy;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The journal ({@code pg.broadcaster.journal.enabled=true}): each change written while the application runs is
 * delivered once, live from its doorbell or replayed after a gap, including a change whose transaction took its
 * id first and committed last.
 */
@ExtendWith(OutputCaptureExtension.class)
class JournalTests {

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("journal_test");

    private final LoopbackProxy proxy = LoopbackProxy.to(TestDatabase.get().jdbcUrl());

    @AfterEach
    void closeProxy() {
        this.proxy.close();
    }

    @Test
    void changesSentThroughPgNotifierAndWrittenByTheTriggerArriveOnceEach() throws SQLException {
        String table = TestDatabase.uniqueName("journal_orders");
        TestDatabase.get().execute("CREATE TABLE " + table + " (id int)");
        journalApplication().withPropertyValues("pg.broadcaster.triggers.tables=" + table).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            BroadcasterConnectedEvent connected = recorder.next(BroadcasterConnectedEvent.class);
            assertThat(connected.replayed()).isZero();
            assertThat(connected.complete()).isTrue();
            ChangeNotification sent = change("orders", "INSERT");
            context.getBean(PgNotifier.class).send(this.channel, sent);
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(sent);
            TestDatabase.get().execute("INSERT INTO " + table + " VALUES (1)");
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change(table, "INSERT"));
            // Each went through the journal, not a plain NOTIFY on the channel.
            assertThat(journalRows(this.channel)).isEqualTo(2);
            ChangeNotification sentinel = change("sentinel", "INSERT");
            context.getBean(PgNotifier.class).send(this.channel, sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).containsExactly(sentinel);
        });
    }

    @Test
    void aTableNamedInASchemaGetsAWriterOfItsOwnThatFoldsAPairSentTwiceInOneTransactionAsNotifyDoes() throws SQLException {
        String schema = TestDatabase.uniqueName("journal_schema");
        String orders = TestDatabase.uniqueName("journal_orders");
        TestDatabase.get().execute("CREATE SCHEMA " + schema, "CREATE TABLE " + orders + " (id int)");
        String journal = schema + ".events";
        journalApplication().withPropertyValues("pg.broadcaster.journal.table=" + journal,
                "pg.broadcaster.triggers.tables=" + orders).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.next(BroadcasterConnectedEvent.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            ChangeNotification twice = change("orders", "UPDATE");
            ChangeNotification once = change("orders", "DELETE");
            new TransactionTemplate(new DataSourceTransactionManager(context.getBean(DataSource.class)))
                .executeWithoutResult((status) -> {
                    notifier.send(this.channel, twice);
                    notifier.send(this.channel, once);
                    notifier.send(this.channel, twice);
                    // The function that takes the table, as a trigger of one's own would call it, folds alike.
                    jdbc.queryForObject("SELECT pg_broadcaster_journal_send(?::regclass, ?, ?)", Long.class, journal,
                            this.channel, twice.toString());
                });
            TestDatabase.get().execute("INSERT INTO " + orders + " VALUES (1)");
            ChangeNotification sentinel = change("sentinel", "INSERT");
            notifier.send(this.channel, sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).containsExactly(twice, once,
                    change(orders, "INSERT"), sentinel);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM " + journal + " WHERE channel = ?", Long.class,
                    this.channel)).isEqualTo(4);
            assertThat(jdbc.queryForObject("SELECT to_regprocedure(?) IS NOT NULL", Boolean.class,
                    schema + ".events_write(text,text)")).isTrue();
        });
    }

    @Test
    void whatIsWrittenWhileTheListenerIsAwayIsReplayedBeforeTheConnectedEvent() {
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl()).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            awayWhile(recorder, () -> {
                for (int i = 0; i < 5; i++) {
                    notifier.send(this.channel, change("missed_" + i, "INSERT"));
                }
            });
            List<Object> replayed = recorder.inOrderUpToFirst(BroadcasterConnectedEvent.class::isInstance);
            assertThat(replayed).hasSize(6);
            for (int i = 0; i < 5; i++) {
                assertThat(replayed.get(i)).isEqualTo(change("missed_" + i, "INSERT"));
            }
            BroadcasterConnectedEvent reconnected = (BroadcasterConnectedEvent) replayed.get(5);
            assertThat(reconnected.reconnect()).isTrue();
            assertThat(reconnected.replayed()).isEqualTo(5);
            assertThat(reconnected.complete()).isTrue();
            ChangeNotification live = change("live", "INSERT");
            notifier.send(this.channel, live);
            assertThat(recorder.nextInOrder(ChangeNotification.class)).isEqualTo(live);
            assertThat(context.getBean(BroadcasterStatistics.class).replayed()).isEqualTo(5);
        });
    }

    @Test
    void whatIsWrittenAfterAStartThatCouldNotConnectIsReplayedWhenTheListenerFirstConnects() {
        this.proxy.refuseNewConnections(true);
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl()).run((context) -> {
            assertThat(context).hasNotFailed();
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterDisconnectedEvent.class);
            ChangeNotification whileAway = change("written_before_the_first_connection", "INSERT");
            context.getBean(PgNotifier.class).send(this.channel, whileAway);
            this.proxy.refuseNewConnections(false);
            assertThat(recorder.nextInOrder(ChangeNotification.class)).isEqualTo(whileAway);
            BroadcasterConnectedEvent connected = recorder.nextInOrder(BroadcasterConnectedEvent.class);
            assertThat(connected.reconnect()).isFalse();
            assertThat(connected.replayed()).isEqualTo(1);
            assertThat(connected.complete()).isTrue();
        });
    }

    @Test
    void aRowWhoseDoorbellNeverRangIsDeliveredOnceByTheCatchUpAmongRowsWhoseDoorbellsDid() throws SQLException {
        journalApplication().withPropertyValues("pg.broadcaster.journal.catch-up-interval=50ms",
                "pg.broadcaster.liveness.timeout=10s").run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            ChangeNotification before = change("rang_before", "INSERT");
            ChangeNotification silent = change("never_rang", "INSERT");
            ChangeNotification after = change("rang_after", "INSERT");
            notifier.send(this.channel, before);
            // Written as the writer writes, less its doorbell.
            try (Connection connection = TestDatabase.get().connect();
                    PreparedStatement statement = connection.prepareStatement(
                            "INSERT INTO pg_broadcaster_journal (channel, payload) VALUES (?, ?)")) {
                statement.setString(1, this.channel);
                statement.setString(2, silent.toString());
                statement.execute();
            }
            notifier.send(this.channel, after);
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(before);
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(after);
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(silent);
            // Counted once the catch-up that delivered it is over.
            await().atMost(Inbox.DEADLINE).until(() -> context.getBean(BroadcasterStatistics.class).caughtUp() == 1);
            // More catch-ups, with doorbells ringing between them, deliver nothing twice.
            long runs = context.getBean(BroadcasterStatistics.class).catchUps();
            for (int i = 0; i < 20; i++) {
                notifier.send(this.channel, change("rang_" + i, "INSERT"));
            }
            await().atMost(Inbox.DEADLINE).until(() -> context.getBean(BroadcasterStatistics.class).catchUps() > runs + 3);
            ChangeNotification sentinel = change("sentinel", "INSERT");
            notifier.send(this.channel, sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).hasSize(21).doesNotHaveDuplicates()
                .doesNotContain(before, silent, after);
            assertThat(context.getBean(BroadcasterStatistics.class).caughtUp()).isEqualTo(1);
            // The server counts on a session of the catch-up's own, named after the listener's.
            assertThat(ListenerSessions.count(this.applicationName + " journal catch-up")).isEqualTo(1);
        });
        // Closed with the application: its thread and its session end.
        await().atMost(Inbox.DEADLINE).until(() -> ListenerSessions.count(this.applicationName + " journal catch-up") == 0
                && ListenerSessions.threads().stream().noneMatch((thread) -> thread.getName().equals("pg-broadcaster-journal-catch-up")));
    }

    @Test
    void aTransactionThatTookItsIdFirstAndCommittedLastIsDeliveredWhileConnectedWithoutDoorbells() {
        // Without doorbells only the catch-up delivers: it must not skip the row with the smaller id.
        this.proxy.dropNotifications(true);
        // A liveness timeout that a loaded machine does not trip: a reconnect would make these rows replayed ones.
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(),
                "pg.broadcaster.journal.catch-up-interval=50ms", "pg.broadcaster.liveness.timeout=10s").run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            try (Connection first = TestDatabase.get().connect()) {
                first.setAutoCommit(false);
                long firstId = journalSend(first, change("took_its_id_first", "INSERT"));
                long laterId;
                try (Connection second = TestDatabase.get().connect()) {
                    laterId = journalSend(second, change("committed_first", "INSERT"));
                }
                assertThat(firstId).isLessThan(laterId);
                assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change("committed_first", "INSERT"));
                // Catch-ups have run since the later row was read, and the first row's transaction is still open.
                long runs = context.getBean(BroadcasterStatistics.class).catchUps();
                await().atMost(Inbox.DEADLINE).until(() -> context.getBean(BroadcasterStatistics.class).catchUps() > runs + 2);
                first.commit();
            }
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change("took_its_id_first", "INSERT"));
            // Both came from catch-ups, which count them once each has handed them over.
            await().atMost(Inbox.DEADLINE).until(() -> context.getBean(BroadcasterStatistics.class).caughtUp() == 2);
        });
    }

    @Test
    void aTransactionThatTookItsIdFirstAndCommittedLastIsDeliveredAcrossAGap() {
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl()).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            try (Connection first = TestDatabase.get().connect(); Connection second = TestDatabase.get().connect()) {
                first.setAutoCommit(false);
                long firstId = journalSend(first, change("open_across_the_gap", "INSERT"));
                awayWhile(recorder, () -> {
                    // Taken while away, committed while away: replayed.
                    assertThat(journalSend(second, change("committed_while_away", "INSERT"))).isGreaterThan(firstId);
                });
                assertThat(recorder.nextInOrder(ChangeNotification.class)).isEqualTo(change("committed_while_away", "INSERT"));
                assertThat(recorder.nextInOrder(BroadcasterConnectedEvent.class).replayed()).isEqualTo(1);
                // Its id is older than everything replayed, and it commits after the replay.
                first.commit();
            }
            assertThat(recorder.nextInOrder(ChangeNotification.class)).isEqualTo(change("open_across_the_gap", "INSERT"));
            ChangeNotification sentinel = change("sentinel", "INSERT");
            context.getBean(PgNotifier.class).send(this.channel, sentinel);
            assertThat(recorder.nextInOrder(ChangeNotification.class)).isEqualTo(sentinel);
            assertThat(recorder.hasNoMoreInOrder()).isTrue();
        });
    }

    @Test
    void aTransactionThatTookItsIdBeforeAGapAndCommittedDuringItIsReplayed() {
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl()).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            try (Connection first = TestDatabase.get().connect()) {
                first.setAutoCommit(false);
                journalSend(first, change("took_its_id_before_the_gap", "INSERT"));
                awayWhile(recorder, first::commit);
            }
            assertThat(recorder.nextInOrder(ChangeNotification.class))
                .isEqualTo(change("took_its_id_before_the_gap", "INSERT"));
            assertThat(recorder.nextInOrder(BroadcasterConnectedEvent.class).replayed()).isEqualTo(1);
        });
    }

    @Test
    void largePayloadsTravelThroughTheJournalAndOneOverTheLimitIsRefusedBeforeTheDatabase() throws SQLException {
        journalApplication().withPropertyValues("pg.broadcaster.payload-types[0].channel=" + this.channel,
                "pg.broadcaster.payload-types[0].type=raw").run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            for (int size : new int[] { 8 * 1024, 100 * 1024, 1024 * 1024 }) {
                String payload = "x".repeat(size - 1) + "y";
                notifier.send(this.channel, payload);
                assertThat(recorder.next(RawNotification.class).payload()).isEqualTo(payload);
                // As a trigger of one's own would: the SQL function itself.
                try (Connection connection = TestDatabase.get().connect();
                        PreparedStatement statement = connection.prepareStatement(
                                "SELECT pg_broadcaster_journal_send('pg_broadcaster_journal', ?, ?)")) {
                    statement.setString(1, this.channel);
                    statement.setString(2, payload + "z");
                    statement.execute();
                }
                assertThat(recorder.next(RawNotification.class).payload()).isEqualTo(payload + "z");
            }
            long rows = journalRows(this.channel);
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send(this.channel, "x".repeat(1024 * 1024 + 1)))
                .withMessageContaining("1048577 bytes")
                .withMessageContaining("pg.broadcaster.journal.max-payload allows at most 1048576");
            assertThat(journalRows(this.channel)).isEqualTo(rows);
        });
    }

    @Test
    void aTypedPayloadLongerThanNotifyAllowsArrivesAsItsType() {
        journalApplication().withPropertyValues("pg.broadcaster.payload-types[0].channel=" + this.channel,
                "pg.broadcaster.payload-types[0].type=" + TypedPayloadTests.OrderShipped.class.getName()).run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.next(BroadcasterConnectedEvent.class);
            TypedPayloadTests.OrderShipped shipped = new TypedPayloadTests.OrderShipped(42, "t".repeat(100 * 1024));
            context.getBean(PgNotifier.class).send(this.channel, shipped);
            assertThat(recorder.next(TypedPayloadTests.OrderShipped.class)).isEqualTo(shipped);
        });
    }

    @Test
    void oldRowsAreDeletedAndAnInstanceAwayLongerThanTheRetentionIsToldItsReplayIsIncomplete(CapturedOutput output) {
        journalApplication().withPropertyValues("pg.broadcaster.url=" + this.proxy.jdbcUrl(),
                "pg.broadcaster.journal.retention=1s").run((context) -> {
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.nextInOrder(BroadcasterConnectedEvent.class);
            PgNotifier notifier = context.getBean(PgNotifier.class);
            awayWhile(recorder, () -> {
                notifier.send(this.channel, change("deleted_before_it_was_read", "INSERT"));
                // Another instance, which can reach the database, deletes what is older than the retention.
                Broadcasting.application(Broadcasting.channel()).withUserConfiguration(PgNotifierTests.Database.class)
                    .withPropertyValues("pg.broadcaster.journal.enabled=true", "pg.broadcaster.journal.retention=1s",
                            "pg.broadcaster.journal.cleanup-interval=100ms")
                    .run((other) -> {
                        await().atMost(Inbox.DEADLINE).until(() -> journalRows(this.channel) == 0);
                        assertThat(other.getBean(BroadcasterStatistics.class).journalCleaned()).isPositive();
                    });
            });
            BroadcasterConnectedEvent reconnected = recorder.nextInOrder(BroadcasterConnectedEvent.class);
            assertThat(reconnected.complete()).isFalse();
            assertThat(reconnected.replayed()).isZero();
            assertThat(output.getOut()).contains("longer than pg.broadcaster.journal.retention (1s)");
        });
    }

    @Test
    void withTheJournalOffNoJournalTableIsCreated() throws SQLException {
        String table = TestDatabase.uniqueName("no_journal");
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
            .withPropertyValues("pg.broadcaster.journal.table=" + table)
            .run((context) -> {
                context.getBean(EventRecorder.class).next(BroadcasterConnectedEvent.class);
                assertThat(exists(table)).isFalse();
            });
        journalApplication().withPropertyValues("pg.broadcaster.journal.table=" + table).run((context) -> {
            context.getBean(EventRecorder.class).next(BroadcasterConnectedEvent.class);
            assertThat(exists(table)).isTrue();
        });
    }

    private ApplicationContextRunner journalApplication() {
        return Broadcasting.application(this.channel)
            .withUserConfiguration(EventRecorder.class, PgNotifierTests.Database.class)
            .withPropertyValues("pg.broadcaster.journal.enabled=true", "pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=200ms",
                    "pg.broadcaster.liveness.timeout=1s");
    }

    /**
     * Keeps the listener away (its session ended, new connections through the proxy refused) while
     * {@code meanwhile} runs, then lets it back and waits for its next connected event.
     */
    private void awayWhile(EventRecorder recorder, Meanwhile meanwhile) throws Exception {
        this.proxy.refuseNewConnections(true);
        long away = System.nanoTime();
        assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
        recorder.nextInOrder(BroadcasterDisconnectedEvent.class);
        meanwhile.run();
        this.proxy.refuseNewConnections(false);
        recorder.awaitConnectedAfter(away);
    }

    private long journalSend(Connection connection, ChangeNotification change) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_broadcaster_journal_write(?, ?)")) {
            statement.setString(1, this.channel);
            statement.setString(2, change.toString());
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
    }

    private static long journalRows(String channel) {
        try (Connection connection = TestDatabase.get().connect();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT count(*) FROM pg_broadcaster_journal WHERE channel = ?")) {
            statement.setString(1, channel);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static boolean exists(String table) throws SQLException {
        try (Connection connection = TestDatabase.get().connect();
                PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            statement.setString(1, table);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getBoolean(1);
            }
        }
    }

    @FunctionalInterface
    private interface Meanwhile {

        void run() throws Exception;

    }

}
