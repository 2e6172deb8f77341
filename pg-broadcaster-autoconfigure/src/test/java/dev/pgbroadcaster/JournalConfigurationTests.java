package dev.pgbroadcaster;

import java.util.Map;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.actuate.BroadcasterMetrics;
import dev.pgbroadcaster.autoconfigure.PgBroadcasterObservabilityAutoConfiguration;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code pg.broadcaster.journal.*}: what is refused at startup, a table left to migrations that is not there, and
 * what health and metrics show.
 */
@ExtendWith(OutputCaptureExtension.class)
class JournalConfigurationTests {

    private final String channel = Broadcasting.channel();

    @Test
    void settingsOutOfRangeFailStartupNamingTheProperty() {
        Map<String, String> refused = Map.of("pg.broadcaster.journal.table=a.b.c", "pg.broadcaster.journal.table",
                "pg.broadcaster.journal.table=" + "t".repeat(53), "pg.broadcaster.journal.table",
                "pg.broadcaster.journal.retention=500ms", "pg.broadcaster.journal.retention",
                "pg.broadcaster.journal.catch-up-interval=1ms", "pg.broadcaster.journal.catch-up-interval",
                "pg.broadcaster.journal.cleanup-interval=0s", "pg.broadcaster.journal.cleanup-interval",
                "pg.broadcaster.journal.max-payload=0B", "pg.broadcaster.journal.max-payload",
                "pg.broadcaster.journal.max-payload=2GB", "pg.broadcaster.journal.max-payload");
        refused.forEach((setting, property) -> application().withPropertyValues(setting)
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).as(setting)
                .hasMessageStartingWith("Invalid pg-broadcaster configuration: " + property + " ")));
    }

    @Test
    void aTableLeftToMigrationsThatIsMissingKeepsTheListenerAwaySayingWhatToDo(CapturedOutput output) {
        String table = TestDatabase.uniqueName("not_migrated");
        application().withPropertyValues("pg.broadcaster.journal.table=" + table,
                "pg.broadcaster.journal.initialize-schema=never").run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(health(context).report().status()).isEqualTo("DOWN");
            assertThat(health(context).report().details().get("lastConnectionFailure").toString())
                .contains("the journal table " + table + " does not exist");
            assertThat(output.getOut()).contains("This will not fix itself: the journal table does not exist: set "
                    + "pg.broadcaster.journal.initialize-schema=always");
        });
        application().withPropertyValues("pg.broadcaster.journal.table=" + table,
                "pg.broadcaster.journal.initialize-schema=never", "pg.broadcaster.fail-fast=true")
            .run((context) -> assertThat(context).hasFailed());
    }

    @Test
    void aUserWhoMayNotCreateTheTableOrReplaceItsFunctionsStartsOnceTheyAreThere() throws Exception {
        application().run((context) -> assertThat(context).hasNotFailed());
        String user = TestDatabase.uniqueName("journal_reader");
        TestDatabase.get().execute("CREATE ROLE " + user + " LOGIN", "GRANT USAGE ON SCHEMA public TO " + user,
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "GRANT SELECT, DELETE ON pg_broadcaster_journal TO " + user);
        application().withUserConfiguration(EventRecorder.class)
            .withPropertyValues("pg.broadcaster.username=" + user)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(EventRecorder.class).next(BroadcasterConnectedEvent.class).complete()).isTrue();
                ChangeNotification sent = Broadcasting.change("read_by_another_user", "INSERT");
                context.getBean(PgNotifier.class).send(this.channel, sent);
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class)).isEqualTo(sent);
            });
    }

    @Test
    void aListenerUserWhoMayNotReadTheJournalIsToldWhatToGrant(CapturedOutput output) throws Exception {
        application().run((context) -> assertThat(context).hasNotFailed());
        String user = TestDatabase.uniqueName("journal_stranger");
        TestDatabase.get().execute("CREATE ROLE " + user + " LOGIN");
        application().withPropertyValues("pg.broadcaster.username=" + user).run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(health(context).report().status()).isEqualTo("DOWN");
            assertThat(output.getOut()).contains("permission denied for table pg_broadcaster_journal")
                .contains("SELECT and DELETE on the journal table (pg.broadcaster.journal.table)");
        });
    }

    @Test
    void healthShowsTheJournalAndMetricsCountItsWork() {
        application().withUserConfiguration(EventRecorder.class)
            .withConfiguration(AutoConfigurations.of(PgBroadcasterObservabilityAutoConfiguration.class))
            .withBean(SimpleMeterRegistry.class)
            .withPropertyValues("pg.broadcaster.journal.catch-up-interval=50ms")
            .run((context) -> {
                context.getBean(EventRecorder.class).next(BroadcasterConnectedEvent.class);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                context.getBean(BroadcasterMetrics.class).bindTo(registry);
                await().atMost(Inbox.DEADLINE)
                    .until(() -> registry.get("pg.broadcaster.journal.catch-ups").functionCounter().count() >= 2);
                assertThat(registry.get("pg.broadcaster.journal.replayed").functionCounter().count()).isZero();
                assertThat(registry.get("pg.broadcaster.journal.cleaned").functionCounter().count()).isZero();
                BroadcasterHealth.Report report = health(context).report();
                assertThat(report.status()).isEqualTo("UP");
                @SuppressWarnings("unchecked")
                Map<String, Object> journal = (Map<String, Object>) report.details().get("journal");
                assertThat(journal).containsKeys("horizonAge", "rowsBehind", "lastReplay", "replayed", "caughtUp");
                assertThat(journal.get("lastReplay").toString()).contains("rows=0").contains("complete=true");
            });
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withUserConfiguration(PgNotifierTests.Database.class)
            .withPropertyValues("pg.broadcaster.journal.enabled=true");
    }

    private static BroadcasterHealth health(ApplicationContext context) {
        return new BroadcasterHealth(context.getBean(PgBroadcaster.class), context.getBean(BroadcasterStatistics.class));
    }

}
