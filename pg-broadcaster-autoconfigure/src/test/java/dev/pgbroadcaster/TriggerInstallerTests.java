package dev.pgbroadcaster;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.TestDatabase;
import dev.pgbroadcaster.trigger.TriggerInstaller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * {@code pg.broadcaster.triggers.*}: the shipped trigger function installed and attached at startup.
 */
@ExtendWith(OutputCaptureExtension.class)
class TriggerInstallerTests {

    private final String channel = "backend.table_change_" + Broadcasting.channel();

    private final String table = TestDatabase.uniqueName("installed");

    private final String schema = TestDatabase.uniqueName("sales");

    @Test
    void listedTablesAnnounceEveryKindOfStatement() throws Exception {
        TestDatabase.get().execute("CREATE SCHEMA " + this.schema, "CREATE TABLE " + this.table + " (id int)",
                "CREATE TABLE " + this.schema + ".orders (id int)");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                "pg.broadcaster.triggers.tables[1]=" + this.schema + ".orders")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)", "UPDATE " + this.table + " SET id = 2");
                TestDatabase.get().execute("DELETE FROM " + this.schema + ".orders");
                TestDatabase.get().execute("TRUNCATE " + this.table);
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, 4)).containsExactly(
                        change(this.table, "INSERT"), change(this.table, "UPDATE"),
                        new ChangeNotification(this.schema, "orders", "DELETE"), change(this.table, "TRUNCATE"));
            });
    }

    @Test
    void startingAgainLeavesATriggerThatIsInPlaceUntouched(CapturedOutput output) throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        ApplicationContextRunner application = application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table);
        application.run((context) -> assertThat(context).hasNotFailed());
        long first = triggerOid();
        application.run((context) -> assertThat(context).hasNotFailed());
        assertThat(triggerOid()).isEqualTo(first);
        assertThat(triggerCount()).isEqualTo(1);
        String trigger = TriggerInstaller.triggerName(this.channel);
        assertThat(output.getOut()).contains("attached now to " + this.table + " (" + trigger + ")")
            .contains("none attached now; already in place on " + this.table + " (" + trigger + ")");
    }

    @Test
    void applicationsOnOtherChannelsKeepTheirTriggersOnTheSameTable(CapturedOutput output) throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        String other = Broadcasting.channel();
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table).run((first) -> {
            assertThat(first).hasNotFailed();
            application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                    "pg.broadcaster.channel=" + other)
                .run((second) -> {
                    assertThat(second).hasNotFailed();
                    TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)");
                    assertThat(first.getBean(EventRecorder.class).next(ChangeNotification.class))
                        .isEqualTo(change(this.table, "INSERT"));
                    assertThat(second.getBean(EventRecorder.class).next(ChangeNotification.class))
                        .isEqualTo(change(this.table, "INSERT"));
                });
        });
        assertThat(triggerCount()).isEqualTo(2);
        String secondStart = output.getOut().lines()
            .filter((line) -> line.contains("notifies channel " + Identifiers.quote(other)))
            .findFirst()
            .orElseThrow();
        assertThat(secondStart).contains("attached now to " + this.table + " (" + TriggerInstaller.triggerName(other) + ")")
            .contains(this.table + " also notifies " + Identifiers.quote(this.channel))
            .contains("left in place");
        assertThat(output.getOut()).doesNotContain("Replaced the trigger");
    }

    @Test
    void aTriggerNamedForTheChannelThatDoesNotCoverEveryStatementIsReplacedAndTheLogSaysWhatItWas(CapturedOutput output)
            throws Exception {
        String name = TriggerInstaller.triggerName(this.channel);
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)",
                new String(TriggerInstallerTests.class.getClassLoader()
                    .getResourceAsStream(TriggerInstaller.SCRIPT).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                "CREATE TRIGGER \"" + name + "\" AFTER INSERT ON " + this.table
                        + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table).run((context) -> {
            assertThat(context).hasNotFailed();
            TestDatabase.get().execute("DELETE FROM " + this.table);
            assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class))
                .isEqualTo(change(this.table, "DELETE"));
        });
        assertThat(triggerCount()).isEqualTo(1);
        assertThat(output.getOut()).contains("Replaced a trigger on " + this.table + " with " + name)
            .contains("AFTER INSERT ON");
    }

    @Test
    void aTriggerOfAnEarlierVersionOrAMigrationThatNotifiesTheChannelIsInPlace(CapturedOutput output) throws Exception {
        // As the README's Flyway migration, and earlier versions of the installer, name it.
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)",
                new String(TriggerInstallerTests.class.getClassLoader()
                    .getResourceAsStream(TriggerInstaller.SCRIPT).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                "CREATE TRIGGER pg_broadcaster_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + this.table
                        + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table)
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(triggerCount()).isEqualTo(1);
        assertThat(output.getOut()).contains("none attached now; already in place on " + this.table + " (pg_broadcaster_notify)");
    }

    @Test
    void turningTheJournalOnAndOffAgainSwapsTheTriggerSoEachChangeArrivesOnce(CapturedOutput output) throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        ApplicationContextRunner plain = application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table);
        ApplicationContextRunner journal = plain.withPropertyValues("pg.broadcaster.journal.enabled=true");
        for (ApplicationContextRunner application : List.of(plain, journal, plain)) {
            application.run((context) -> {
                EventRecorder recorder = context.getBean(EventRecorder.class);
                recorder.next(BroadcasterConnectedEvent.class);
                TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)");
                ChangeNotification sentinel = change("sentinel", "INSERT");
                Broadcasting.send(this.channel, sentinel);
                assertThat(recorder.upTo(ChangeNotification.class, sentinel))
                    .containsExactly(change(this.table, "INSERT"), sentinel);
            });
            assertThat(triggerCount()).isEqualTo(1);
        }
        assertThat(output.getOut()).contains("Trigger function pg_broadcaster_journal_notify() writes to the journal")
            .contains("Replaced a trigger on " + this.table + " with " + TriggerInstaller.triggerName(this.channel)
                    + ", which is what pg-broadcaster attaches (all four kinds of statement, enabled, writing to the journal)")
            .contains("notifying without the journal): it was CREATE TRIGGER");
    }

    @Test
    void rowLevelTriggersAnnounceEachActionOncePerTransactionAndFireAlways(CapturedOutput output) throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        ApplicationContextRunner application = application().withPropertyValues(
                "pg.broadcaster.triggers.tables[0]=" + this.table, "pg.broadcaster.triggers.level=row");
        application.run((context) -> {
            assertThat(context).hasNotFailed();
            EventRecorder recorder = context.getBean(EventRecorder.class);
            recorder.next(BroadcasterConnectedEvent.class);
            TestDatabase.get().execute("INSERT INTO " + this.table + " SELECT generate_series(1, 100)",
                    "INSERT INTO " + this.table + " VALUES (101)", "UPDATE " + this.table + " SET id = id + 1");
            TestDatabase.get().execute("DELETE FROM " + this.table + " WHERE id > 50");
            TestDatabase.get().execute("TRUNCATE " + this.table);
            ChangeNotification sentinel = change("sentinel", "INSERT");
            Broadcasting.send(this.channel, sentinel);
            assertThat(recorder.upTo(ChangeNotification.class, sentinel)).containsExactly(change(this.table, "INSERT"),
                    change(this.table, "UPDATE"), change(this.table, "DELETE"), change(this.table, "TRUNCATE"), sentinel);
        });
        assertThat(jdbc().queryForList("SELECT tgname || ' ' || tgtype || ' ' || tgenabled::text FROM pg_trigger "
                + "WHERE tgrelid = to_regclass(?) AND NOT tgisinternal", String.class, '"' + this.table + '"'))
            .containsExactlyInAnyOrder(TriggerInstaller.triggerName(this.channel) + " 29 A",
                    TriggerInstaller.truncateTriggerName(this.channel) + " 32 A");
        application.run((context) -> assertThat(context).hasNotFailed());
        assertThat(output.getOut()).contains("none attached now; already in place on " + this.table + " ("
                + TriggerInstaller.triggerName(this.channel) + ", " + TriggerInstaller.truncateTriggerName(this.channel) + ")");
    }

    @Test
    void switchingLevelsReplacesTheTriggersOfTheOtherLevel(CapturedOutput output) throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        ApplicationContextRunner statement = application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table);
        ApplicationContextRunner row = statement.withPropertyValues("pg.broadcaster.triggers.level=row");
        for (ApplicationContextRunner application : List.of(statement, row, statement)) {
            application.run((context) -> {
                EventRecorder recorder = context.getBean(EventRecorder.class);
                recorder.next(BroadcasterConnectedEvent.class);
                TestDatabase.get().execute("TRUNCATE " + this.table);
                ChangeNotification sentinel = change("sentinel", "INSERT");
                Broadcasting.send(this.channel, sentinel);
                assertThat(recorder.upTo(ChangeNotification.class, sentinel))
                    .containsExactly(change(this.table, "TRUNCATE"), sentinel);
            });
            assertThat(triggerCount()).isEqualTo((application == row) ? 2 : 1);
        }
        assertThat(output.getOut()).contains("Replaced a trigger on " + this.table + " with "
                + TriggerInstaller.triggerName(this.channel) + ", " + TriggerInstaller.truncateTriggerName(this.channel)
                + ", which is what pg-broadcaster attaches (each row inserted, updated or deleted and each truncate, "
                + "enabled always, notifying without the journal): it was CREATE TRIGGER")
            .contains("(all four kinds of statement, enabled, notifying without the journal): it was CREATE TRIGGER "
                    + TriggerInstaller.triggerName(this.channel) + " AFTER INSERT OR DELETE OR UPDATE ON");
    }

    @Test
    void aRowLevelTriggerThatIsNotEnabledAlwaysIsReplaced() throws Exception {
        String name = TriggerInstaller.triggerName(this.channel);
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)",
                new String(TriggerInstallerTests.class.getClassLoader()
                    .getResourceAsStream(TriggerInstaller.SCRIPT).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                "CREATE TRIGGER \"" + name + "\" AFTER INSERT OR UPDATE OR DELETE ON " + this.table
                        + " FOR EACH ROW EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table, "pg.broadcaster.triggers.level=row")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(jdbc().queryForList("SELECT tgenabled FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal",
                String.class, '"' + this.table + '"')).containsExactly("A", "A");
    }

    @Test
    void theRowLevelWithTheJournalFailsStartupNamingTheProperties() {
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                "pg.broadcaster.triggers.level=row", "pg.broadcaster.journal.enabled=true")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context))
                .hasMessageContaining("pg.broadcaster.triggers.level is row, which pg.broadcaster.journal.enabled=true "
                        + "does not support"));
    }

    @Test
    void anUnknownLevelFailsStartupNamingTheProperty() {
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                "pg.broadcaster.triggers.level=column")
            .run((context) -> assertThat(StartupFailures.cause(context, BindException.class))
                .hasMessageContaining("pg.broadcaster.triggers.level"));
    }

    @Test
    void aTriggerAttachedBeforeTheChangeIsRefused() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)",
                new String(TriggerInstallerTests.class.getClassLoader()
                    .getResourceAsStream(TriggerInstaller.SCRIPT).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                "CREATE TRIGGER before_change BEFORE INSERT ON " + this.table
                        + " FOR EACH ROW EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
        assertThatException().isThrownBy(() -> TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)"))
            .withMessageContaining("pg_broadcaster_notify() must be attached AFTER the change");
    }

    @Test
    void triggerNamesAreReadableDistinctAndFitAnIdentifier() {
        assertThat(TriggerInstaller.triggerName("backend.table_change")).startsWith("pg_broadcaster_backend_table_change_");
        assertThat(TriggerInstaller.triggerName("a.b")).isNotEqualTo(TriggerInstaller.triggerName("a_b"));
        String longest = TriggerInstaller.triggerName("Ä".repeat(31));
        assertThat(longest.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
        assertThat(TriggerInstaller.triggerName("x".repeat(63))).hasSize(63);
        assertThat(TriggerInstaller.truncateTriggerName("x".repeat(63))).hasSize(63)
            .isNotEqualTo(TriggerInstaller.triggerName("x".repeat(63)));
        assertThat(TriggerInstaller.truncateTriggerName("backend.table_change"))
            .isEqualTo(TriggerInstaller.triggerName("backend.table_change").replaceFirst("_([0-9a-f]{8})$", "_truncate_$1"));
    }

    @Test
    void installersStartingAtOnceBothSucceed() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        DataSource dataSource = new PgNotifierTests.Database().dataSource();
        List<TriggerInstaller> installers = List.of(
                new TriggerInstaller(dataSource, List.of(TriggerInstaller.TableName.parse(this.table)), this.channel),
                new TriggerInstaller(dataSource, List.of(TriggerInstaller.TableName.parse(this.table)), this.channel));
        CompletableFuture.allOf(installers.stream().map((installer) -> CompletableFuture.runAsync(installer::install))
            .toArray(CompletableFuture[]::new)).get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(triggerCount()).isEqualTo(1);
    }

    @Test
    void aTableThatDoesNotExistFailsStartupNamingTheProperty() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                "pg.broadcaster.triggers.tables[1]=" + this.table.toUpperCase())
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.triggers.tables[1]")
                .hasMessageContaining("does not exist"));
    }

    @Test
    void aNameThatIsNeitherTableNorSchemaDotTableFailsStartup() {
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=a.b.c")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.triggers.tables[0]")
                .hasMessageContaining("'a.b.c' must be 'table' or 'schema.table'"));
    }

    @Test
    void tablesWithoutADataSourceFailStartup() {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table)
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.triggers.tables needs the application's DataSource"));
    }

    @Test
    void withoutTablesNothingIsInstalled() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        application().run((context) -> assertThat(context).hasNotFailed());
        assertThat(triggerCount()).isZero();
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withUserConfiguration(PgNotifierTests.Database.class, EventRecorder.class);
    }

    private long triggerOid() throws SQLException {
        return jdbc().queryForObject("SELECT oid FROM pg_trigger WHERE tgrelid = to_regclass(?) AND tgname = ?", Long.class,
                '"' + this.table + '"', TriggerInstaller.triggerName(this.channel));
    }

    private int triggerCount() throws SQLException {
        return jdbc().queryForObject("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal",
                Integer.class, '"' + this.table + '"');
    }

    private static JdbcTemplate jdbc() throws SQLException {
        return new JdbcTemplate(new PgNotifierTests.Database().dataSource());
    }

}
