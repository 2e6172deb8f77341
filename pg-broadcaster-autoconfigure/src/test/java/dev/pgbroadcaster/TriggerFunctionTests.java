package dev.pgbroadcaster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.core.io.ClassPathResource;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TriggerFunctionTests {

    private final String channel = "backend.table_change_" + Broadcasting.channel();

    private final String table = TestDatabase.uniqueName("trigger_table");

    @BeforeAll
    static void installTheShippedFunctionTwice() throws Exception {
        // Installing twice proves the script is safe to run again, as a migration re-run would.
        TestDatabase.get().execute(triggerSql());
        TestDatabase.get().execute(triggerSql());
    }

    @Test
    void everyKindOfStatementIsAnnounced() throws Exception {
        createTableWithTrigger();
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                TestDatabase.get().execute("INSERT INTO " + this.table + " (name) VALUES ('a'), ('b')");
                TestDatabase.get().execute("UPDATE " + this.table + " SET name = 'c'");
                TestDatabase.get().execute("DELETE FROM " + this.table + " WHERE name = 'c'");
                TestDatabase.get().execute("TRUNCATE " + this.table);
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, 4)).containsExactly(
                        change(this.table, "INSERT"), change(this.table, "UPDATE"), change(this.table, "DELETE"),
                        change(this.table, "TRUNCATE"));
            });
    }

    @Test
    void twoOverlappingTransactionsOnOneTableAreBothAnnounced() throws Exception {
        createTableWithTrigger();
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                try (Connection first = TestDatabase.get().connect(); Connection second = TestDatabase.get().connect()) {
                    first.setAutoCommit(false);
                    second.setAutoCommit(false);
                    insert(first, "first");
                    insert(second, "second");
                    second.commit();
                    first.commit();
                }
                ChangeNotification sentinel = change("sentinel", "INSERT");
                send(this.channel, sentinel);
                assertThat(context.getBean(EventRecorder.class).upTo(ChangeNotification.class, sentinel))
                    .containsExactly(change(this.table, "INSERT"), change(this.table, "INSERT"), sentinel);
            });
    }

    @Test
    void manyStatementsInOneTransactionAreAnnouncedOncePerAction() throws Exception {
        createTableWithTrigger();
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                TestDatabase.get().execute("INSERT INTO " + this.table + " (name) VALUES ('a')",
                        "INSERT INTO " + this.table + " (name) VALUES ('b')", "UPDATE " + this.table + " SET name = 'c'",
                        "INSERT INTO " + this.table + " (name) VALUES ('d')");
                ChangeNotification sentinel = change("sentinel", "INSERT");
                send(this.channel, sentinel);
                assertThat(context.getBean(EventRecorder.class).upTo(ChangeNotification.class, sentinel))
                    .containsExactly(change(this.table, "INSERT"), change(this.table, "UPDATE"), sentinel);
            });
    }

    @Test
    void aTriggerWithoutChannelFailsTheStatementWithAClearMessage() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id serial PRIMARY KEY, name text)",
                "CREATE TRIGGER broadcast AFTER INSERT ON " + this.table
                        + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify()");
        assertThatExceptionOfType(SQLException.class)
            .isThrownBy(() -> TestDatabase.get().execute("INSERT INTO " + this.table + " (name) VALUES ('a')"))
            .withMessageContaining("takes the channel name as its one trigger argument");
    }

    private void createTableWithTrigger() throws SQLException {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id serial PRIMARY KEY, name text)",
                "CREATE TRIGGER broadcast AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + this.table
                        + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
    }

    private void insert(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO " + this.table + " (name) VALUES ('" + name + "')");
        }
    }

    private static String triggerSql() throws IOException {
        return new ClassPathResource("META-INF/pg-broadcaster/notify_table.sql").getContentAsString(StandardCharsets.UTF_8);
    }

}
