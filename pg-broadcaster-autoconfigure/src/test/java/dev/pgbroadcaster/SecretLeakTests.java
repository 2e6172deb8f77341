package dev.pgbroadcaster;

import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterProperties;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A distinctive password goes through startup failures, a URL the driver cannot read, a working connection that is
 * lost and comes back, and the {@code toString()} of everything a user may print: it must show up in no log line
 * (debug included), exception message, event or {@code toString()}.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecretLeakTests {

    private static final String SECRET = "Xyzzy-S3cret-Pa55-" + ProcessHandle.current().pid();

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("secret_test");

    private final List<String> shown = new ArrayList<>();

    private final LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());

    @BeforeEach
    void logEverything() {
        this.logging.setLogLevel("dev.pgbroadcaster", LogLevel.DEBUG);
    }

    @AfterEach
    void logAsUsual() {
        this.logging.setLogLevel("dev.pgbroadcaster", null);
    }

    @Test
    void thePasswordAppearsInNoLogLineExceptionMessageEventOrToString(CapturedOutput output) {
        // A refused login, with and without fail-fast.
        ApplicationContextRunner refused = Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.username=no_such_user_" + TestDatabase.uniqueName("u"),
                    "pg.broadcaster.password=" + SECRET, "pg.broadcaster.reconnect.initial-delay=10ms",
                    "pg.broadcaster.reconnect.max-attempts=2");
        refused.withPropertyValues("pg.broadcaster.fail-fast=true").run(this::collectFailure);
        refused.withUserConfiguration(EventRecorder.class).run(this::collectGivingUp);

        // A URL the driver cannot read (it quotes the whole URL in its message), carrying the password as a parameter.
        ApplicationContextRunner unreadable = Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=jdbc:postgresql://localhost:notaport/postgres?password=" + SECRET + "&ssl=false",
                    "pg.broadcaster.reconnect.initial-delay=10ms", "pg.broadcaster.reconnect.max-attempts=2");
        unreadable.withPropertyValues("pg.broadcaster.fail-fast=true").run(this::collectFailure);
        unreadable.withUserConfiguration(EventRecorder.class).run(this::collectGivingUp);
        assertThat(output.getOut()).contains("Unable to parse URL jdbc:postgresql://localhost:notaport/postgres");

        // A working connection given the password both as a property and in the URL, lost and back.
        String password = realOrDistinctivePassword();
        String url = TestDatabase.get().jdbcUrl();
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.url=" + url + (url.contains("?") ? "&" : "?") + "password=" + password,
                    "pg.broadcaster.password=" + password, "pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=10ms")
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                EventRecorder events = context.getBean(EventRecorder.class);
                show(events.nextInOrder(BroadcasterConnectedEvent.class));
                assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
                BroadcasterDisconnectedEvent lost = events.nextInOrder(BroadcasterDisconnectedEvent.class);
                show(lost);
                showChain(lost.cause());
                show(events.nextInOrder(BroadcasterConnectedEvent.class));
                show(context.getBean(ListenerConnectionFactory.class));
                show(context.getBean(ListenerConnectionFactory.class).description());
                show(context.getBean(PgBroadcasterProperties.class));
                show(context.getBean(BroadcasterStatistics.class));
                show(context.getBean(PgBroadcaster.class));
            });
        show(RecoverySettings.defaults());

        assertThat(this.shown).isNotEmpty().noneMatch((text) -> text.contains(SECRET) || text.contains(password));
        assertThat(output.getOut()).contains("Lost the listener connection").doesNotContain(SECRET).doesNotContain(password);
        assertThat(output.getErr()).doesNotContain(SECRET).doesNotContain(password);
    }

    private void collectFailure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        showChain(context.getStartupFailure());
    }

    private void collectGivingUp(AssertableApplicationContext context) {
        assertThat(context).hasNotFailed();
        EventRecorder events = context.getBean(EventRecorder.class);
        BroadcasterDisconnectedEvent notListening = events.nextInOrder(BroadcasterDisconnectedEvent.class);
        assertThat(notListening.reconnecting()).isTrue();
        show(notListening);
        showChain(notListening.cause());
        BroadcasterDisconnectedEvent gaveUp = events.nextInOrder(BroadcasterDisconnectedEvent.class);
        assertThat(gaveUp.reconnecting()).isFalse();
        show(gaveUp);
        showChain(gaveUp.cause());
    }

    private void showChain(Throwable failure) {
        for (Throwable each = failure; each != null; each = each.getCause()) {
            show(each.getMessage());
            show(each);
            for (Throwable suppressed : each.getSuppressed()) {
                showChain(suppressed);
            }
        }
    }

    private void show(Object shown) {
        this.shown.add(String.valueOf(shown));
    }

    // An external test server may check passwords; the embedded one trusts any.
    private static String realOrDistinctivePassword() {
        String password = TestDatabase.get().password();
        return (password == null || password.isEmpty()) ? SECRET : password;
    }

}
