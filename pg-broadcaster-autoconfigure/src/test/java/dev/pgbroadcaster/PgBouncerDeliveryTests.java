package dev.pgbroadcaster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.PgBouncerServer;
import dev.pgbroadcaster.testsupport.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.ClassPathResource;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The delivery check against a real PgBouncer, with its default settings but for {@code pool_mode}, in front of
 * the test database: in transaction pooling mode no notification reaches the listener, and the check must say so
 * (a warning, health DOWN, the connected gauge at 0); in session mode notifications arrive and the check passes.
 */
@ExtendWith(OutputCaptureExtension.class)
class PgBouncerDeliveryTests {

    private static final String WARNING = "Notifications do not come back on the listener connection";

    private final String channel = Broadcasting.channel();

    private PgBouncerServer pgBouncer;

    @BeforeAll
    static void pgBouncerIsInstalled() throws IOException, SQLException {
        Assumptions.assumeTrue(PgBouncerServer.isInstalled(), PgBouncerServer.NOT_INSTALLED);
        TestDatabase.get().execute(new ClassPathResource("META-INF/pg-broadcaster/notify_table.sql")
            .getContentAsString(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopPgBouncer() {
        if (this.pgBouncer != null) {
            this.pgBouncer.close();
        }
    }

    @Test
    void inTransactionPoolingModeTheCheckFailsHealthIsDownAndTheGaugeIsZero(CapturedOutput output) {
        this.pgBouncer = startPgBouncer("transaction");
        application().run((context) -> {
            assertThat(context).hasNotFailed();
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(output.getOut())
                .as(() -> "the delivery check (" + statistics.deliveryCheck() + ") did not warn; PgBouncer's log:\n"
                        + this.pgBouncer.log())
                .contains(WARNING));
            String warning = output.getOut().lines().filter((line) -> line.contains(WARNING)).findFirst().orElseThrow();
            assertThat(warning).contains("WARN")
                .contains("from another connection")
                .contains("transaction pooling")
                .contains("PgBouncer")
                .contains("pg.broadcaster.url")
                .contains("pg.broadcaster.liveness.timeout")
                .contains(this.pgBouncer.jdbcUrl().substring(0, this.pgBouncer.jdbcUrl().indexOf('?')));
            assertThat(statistics.deliveryCheck()).isEqualTo(BroadcasterStatistics.DeliveryCheck.FAILED);
            // Still connected: the check reports, it does not disconnect.
            assertThat(statistics.connected()).isTrue();
            assertThat(statistics.receiving()).isFalse();
            BroadcasterHealth.Report report = health(context).report();
            assertThat(report.status()).isEqualTo("DOWN");
            assertThat((String) report.details().get("deliveryCheck")).startsWith("failed")
                .contains("transaction pooling")
                .contains("pg.broadcaster.url")
                .contains("session mode");
            assertThat(connectedGauge(statistics)).isZero();
        });
    }

    @Test
    void inSessionPoolingModeTheCheckPassesAndNotificationsArrive(CapturedOutput output) throws SQLException {
        this.pgBouncer = startPgBouncer("session");
        String table = TestDatabase.uniqueName("pgbouncer_table");
        TestDatabase.get().execute("CREATE TABLE " + table + " (id serial PRIMARY KEY, name text)",
                "CREATE TRIGGER broadcast AFTER INSERT ON " + table
                        + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify('" + this.channel + "')");
        application().withUserConfiguration(EventRecorder.class).run((context) -> {
            assertThat(context).hasNotFailed();
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(statistics.deliveryCheck())
                .as(() -> "the delivery check; PgBouncer's log:\n" + this.pgBouncer.log())
                .isEqualTo(BroadcasterStatistics.DeliveryCheck.PASSED));
            EventRecorder recorder = context.getBean(EventRecorder.class);
            send(this.channel, change("orders", "INSERT"));
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change("orders", "INSERT"));
            // A committed insert, through PgBouncer as an application behind it would write.
            try (Connection connection = connectThroughPgBouncer(); Statement statement = connection.createStatement()) {
                statement.execute("INSERT INTO " + table + " (name) VALUES ('a')");
            }
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(change(table, "INSERT"));
            assertThat(statistics.received()).isEqualTo(2);
            BroadcasterHealth.Report report = health(context).report();
            assertThat(report.status()).isEqualTo("UP");
            assertThat((String) report.details().get("deliveryCheck")).startsWith("passed");
            assertThat(connectedGauge(statistics)).isEqualTo(1.0);
        });
        assertThat(output.getOut()).doesNotContain(WARNING).doesNotContain("could not run");
    }

    private PgBouncerServer startPgBouncer(String poolMode) {
        Properties url = Driver.parseURL(TestDatabase.get().jdbcUrl(), null);
        return PgBouncerServer.start(PGProperty.PG_HOST.getOrDefault(url).split(",")[0],
                Integer.parseInt(PGProperty.PG_PORT.getOrDefault(url).split(",")[0]), TestDatabase.get().username(),
                PGProperty.PG_DBNAME.getOrDefault(url), poolMode);
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + this.pgBouncer.jdbcUrl(), "pg.broadcaster.liveness.timeout=1s");
    }

    private Connection connectThroughPgBouncer() throws SQLException {
        return DriverManager.getConnection(this.pgBouncer.jdbcUrl(), TestDatabase.get().username(),
                TestDatabase.get().password());
    }

    private static BroadcasterHealth health(AssertableApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

    private static double connectedGauge(BroadcasterStatistics statistics) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new BroadcasterMetrics(statistics, () -> 0).bindTo(registry);
        return registry.get("pg.broadcaster.connected").gauge().value();
    }

}
