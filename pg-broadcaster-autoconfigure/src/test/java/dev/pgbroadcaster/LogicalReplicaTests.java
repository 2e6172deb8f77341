package dev.pgbroadcaster;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.PublisherAndSubscriber;
import dev.pgbroadcaster.testsupport.TestDatabase;
import dev.pgbroadcaster.trigger.TriggerInstaller;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application listening on a logical replication subscriber, whose changes come from the publisher: the apply
 * worker fires row-level triggers enabled ALWAYS ({@code pg.broadcaster.triggers.level=row}), and not the default
 * statement-level ones.
 */
@ExtendWith(OutputCaptureExtension.class)
class LogicalReplicaTests {

    private static PublisherAndSubscriber servers;

    private final String channel = Broadcasting.channel();

    private final String table = TestDatabase.uniqueName("replicated");

    @BeforeAll
    static void startServers() {
        servers = PublisherAndSubscriber.start();
    }

    @AfterAll
    static void stopServers() {
        servers.close();
    }

    @Test
    void rowLevelTriggersOnTheSubscriberAnnounceWhatThePublisherChangesOncePerTransactionAndAction(CapturedOutput output) {
        servers.replicate(this.table, "id int PRIMARY KEY, name text");
        onTheSubscriber().withPropertyValues("pg.broadcaster.triggers.level=row").run((context) -> {
            assertThat(context).hasNotFailed();
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.next(BroadcasterConnectedEvent.class);
            servers.publisher().execute("INSERT INTO " + this.table + " SELECT n, 'new' FROM generate_series(1, 100) n",
                    "UPDATE " + this.table + " SET name = 'changed' WHERE id <= 50",
                    "DELETE FROM " + this.table + " WHERE id > 90", "TRUNCATE " + this.table,
                    "INSERT INTO " + this.table + " VALUES (1000, 'last')");
            ChangeNotification sentinel = change("sentinel", "INSERT");
            // The subscriber applies in commit order: once the last row is there, so is everything before it (an
            // empty table would also be the state before the first insert).
            servers.awaitOnSubscriber("SELECT EXISTS (SELECT FROM " + this.table + " WHERE id = 1000)");
            sendOnTheSubscriber(sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).containsExactly(change(this.table, "INSERT"),
                    change(this.table, "UPDATE"), change(this.table, "DELETE"), change(this.table, "TRUNCATE"),
                    change(this.table, "INSERT"), sentinel);
        });
        assertThat(output.getOut()).contains("of changes to [" + this.table + "] row by row (enabled always")
            .contains("attached now to " + this.table + " (" + TriggerInstaller.triggerName(this.channel) + ", "
                    + TriggerInstaller.truncateTriggerName(this.channel) + ")");
    }

    @Test
    void theStatementLevelDefaultOnTheSubscriberHearsNothingOfWhatThePublisherChanges() {
        servers.replicate(this.table, "id int PRIMARY KEY, name text");
        onTheSubscriber().run((context) -> {
            assertThat(context).hasNotFailed();
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.next(BroadcasterConnectedEvent.class);
            servers.publisher().execute("INSERT INTO " + this.table + " VALUES (1, 'new'), (2, 'new')",
                    "UPDATE " + this.table + " SET name = 'changed'", "DELETE FROM " + this.table + " WHERE id = 1");
            servers.awaitOnSubscriber("SELECT array_agg(id || name) = '{2changed}' FROM " + this.table);
            servers.publisher().execute("TRUNCATE " + this.table);
            servers.awaitOnSubscriber("SELECT NOT EXISTS (SELECT FROM " + this.table + ")");
            ChangeNotification sentinel = change("sentinel", "INSERT");
            sendOnTheSubscriber(sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).containsExactly(sentinel);
            // The same change made on the subscriber itself is heard: the trigger is there.
            servers.subscriber().execute("INSERT INTO " + this.table + " VALUES (3, 'local')");
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change(this.table, "INSERT"));
        });
    }

    private ApplicationContextRunner onTheSubscriber() {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
            .withPropertyValues(servers.subscriber().datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.triggers.tables=" + this.table)
            .withUserConfiguration(TriggerInstallationStartupTests.DataSourceFromProperties.class, EventRecorder.class);
    }

    private void sendOnTheSubscriber(ChangeNotification notification) {
        servers.subscriber().execute("SELECT pg_notify(" + Identifiers.quoteLiteral(this.channel) + ", "
                + Identifiers.quoteLiteral(notification.toString()) + ")");
    }

}
