package dev.pgbroadcaster;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pg.broadcaster.triggers.*}: the shipped trigger function installed and attached at startup.
 */
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
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.next(4)).containsExactly(
                        change(this.table, "INSERT"), change(this.table, "UPDATE"),
                        new ChangeNotification(this.schema, "orders", "DELETE"), change(this.table, "TRUNCATE"));
            });
    }

    @Test
    void startingAgainLeavesATriggerThatIsInPlaceUntouched() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        ApplicationContextRunner application = application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table);
        application.run((context) -> assertThat(context).hasNotFailed());
        long first = triggerOid();
        application.run((context) -> assertThat(context).hasNotFailed());
        assertThat(triggerOid()).isEqualTo(first);
        assertThat(triggerCount()).isEqualTo(1);
    }

    @Test
    void anotherChannelReplacesTheTrigger() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table)
            .run((context) -> assertThat(context).hasNotFailed());
        String other = Broadcasting.channel();
        application().withPropertyValues("pg.broadcaster.triggers.tables[0]=" + this.table,
                "pg.broadcaster.channels[0]=" + other, "pg.broadcaster.triggers.channel=" + other)
            .run((context) -> {
                TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)");
                ChangeNotification sentinel = change("sentinel", "INSERT");
                Broadcasting.send(other, sentinel);
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.upTo(sentinel))
                    .containsExactly(change(this.table, "INSERT"), sentinel);
            });
        assertThat(triggerCount()).isEqualTo(1);
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
            .withUserConfiguration(PgNotifierTests.Database.class, EventListenerDeliveryTests.Collecting.class);
    }

    private long triggerOid() throws SQLException {
        return jdbc().queryForObject("SELECT oid FROM pg_trigger WHERE tgrelid = to_regclass(?) AND tgname = ?", Long.class,
                '"' + this.table + '"', TriggerInstaller.TRIGGER);
    }

    private int triggerCount() throws SQLException {
        return jdbc().queryForObject("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal",
                Integer.class, '"' + this.table + '"');
    }

    private static JdbcTemplate jdbc() throws SQLException {
        return new JdbcTemplate(new PgNotifierTests.Database().dataSource());
    }

}
