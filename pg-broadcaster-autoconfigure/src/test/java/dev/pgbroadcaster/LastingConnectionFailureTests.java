package dev.pgbroadcaster;

import java.sql.SQLException;

import dev.pgbroadcaster.actuate.BroadcasterHealth;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.testsupport.RestartablePostgresServer;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connection failures that will not fix themselves (a wrong password, a database that does not exist): an error
 * that names the property to check, logged once and then throttled, an event for the application, and attempts that
 * go on, so that a corrected setting on the server takes effect without a restart.
 */
@ExtendWith(OutputCaptureExtension.class)
class LastingConnectionFailureTests {

    private static final String LOGGER = "dev.pgbroadcaster";

    private final String channel = Broadcasting.channel();

    @Test
    void aWrongPasswordIsAnErrorNamingThePropertyThenThrottledAndTheListenerConnectsOnceItIsRight(CapturedOutput output) {
        try (RestartablePostgresServer server = RestartablePostgresServer.create().start()) {
            server.execute("CREATE ROLE app LOGIN PASSWORD 'the-right-one'");
            server.requirePasswords();
            LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
            logging.setLogLevel(LOGGER, LogLevel.DEBUG);
            try {
                Broadcasting.application(this.channel)
                    .withPropertyValues("pg.broadcaster.url=" + server.jdbcUrl(), "pg.broadcaster.username=app",
                            "pg.broadcaster.password=not-the-right-one", "pg.broadcaster.reconnect.initial-delay=20ms",
                            "pg.broadcaster.reconnect.max-delay=100ms")
                    .withUserConfiguration(EventRecorder.class)
                    .run((context) -> {
                        assertThat(context).hasNotFailed();
                        EventRecorder events = context.getBean(EventRecorder.class);
                        BroadcasterDisconnectedEvent notListening = events.nextInOrder(BroadcasterDisconnectedEvent.class);
                        assertThat(notListening.reconnecting()).isTrue();
                        assertThat(((SQLException) notListening.cause()).getSQLState()).isEqualTo("28P01");
                        BroadcasterHealth health = new BroadcasterHealth(context.getBean(PgBroadcaster.class),
                                context.getBean(BroadcasterStatistics.class));
                        BroadcasterHealth.Report down = health.report();
                        assertThat(down.status()).isEqualTo("DOWN");
                        assertThat(down.details()).extractingByKey("lastConnectionFailure").asString()
                            .contains("password authentication failed for user \"app\"")
                            .doesNotContain("not-the-right-one");

                        // Further attempts fail the same way, and are logged at debug level only.
                        await().atMost(Inbox.DEADLINE).until(() -> output.getOut().contains("Connection attempt 4 to"));
                        server.execute("ALTER ROLE app PASSWORD 'not-the-right-one'");
                        BroadcasterConnectedEvent connected = events.nextInOrder(BroadcasterConnectedEvent.class);
                        assertThat(connected.reconnect()).isFalse();
                        assertThat(context.getBean(BroadcasterStatistics.class).connected()).isTrue();
                        await().atMost(Inbox.DEADLINE).until(() -> health.report().status().equals("UP"));
                        assertThat(health.report().details()).doesNotContainKey("lastConnectionFailure");
                    });
            }
            finally {
                logging.setLogLevel(LOGGER, null);
            }
        }
        assertThat(output.getOut().lines().filter((line) -> line.contains("ERROR"))).singleElement()
            .asString()
            .contains("This will not fix itself: the password was refused: check pg.broadcaster.password")
            .doesNotContain("not-the-right-one");
        assertThat(output.getOut().lines().filter((line) -> line.contains("WARN") && line.contains("attempt"))).isEmpty();
        assertThat(output.getOut()).doesNotContain("not-the-right-one");
    }

    @Test
    void aDatabaseThatDoesNotExistIsAnErrorNamingTheUrl(CapturedOutput output) {
        String url = TestDatabase.get().jdbcUrl().replace("/postgres", "/no_such_database");
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + url, "pg.broadcaster.reconnect.initial-delay=20ms",
                    "pg.broadcaster.reconnect.max-delay=100ms")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                BroadcasterDisconnectedEvent notListening = context.getBean(EventRecorder.class)
                    .nextInOrder(BroadcasterDisconnectedEvent.class);
                assertThat(((SQLException) notListening.cause()).getSQLState()).isEqualTo("3D000");
                assertThat(output.getOut()).contains("ERROR")
                    .contains("the database does not exist: check the database name in pg.broadcaster.url");
            });
    }

    @Test
    void withFailFastAWrongPasswordFailsStartupNamingTheProperty() {
        try (RestartablePostgresServer server = RestartablePostgresServer.create().start()) {
            server.execute("CREATE ROLE app LOGIN PASSWORD 'the-right-one'");
            server.requirePasswords();
            Broadcasting.application(this.channel)
                .withPropertyValues("pg.broadcaster.url=" + server.jdbcUrl(), "pg.broadcaster.username=app",
                        "pg.broadcaster.password=not-the-right-one", "pg.broadcaster.fail-fast=true")
                .run((context) -> assertThat(StartupFailures.cause(context, PgBroadcaster.BroadcasterStartException.class))
                    .hasMessageContaining("the password was refused: check pg.broadcaster.password")
                    .hasMessageNotContaining("not-the-right-one"));
        }
    }

}
