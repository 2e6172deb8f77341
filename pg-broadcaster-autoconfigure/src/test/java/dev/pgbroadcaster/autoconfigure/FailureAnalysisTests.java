package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Startup errors end in Spring Boot's "APPLICATION FAILED TO START" report, with an action that names what to fix.
 */
@ExtendWith(OutputCaptureExtension.class)
class FailureAnalysisTests {

    @Test
    void anInvalidPropertyIsReportedWithThePropertyToFix(CapturedOutput output) {
        assertThatException().isThrownBy(() -> run("--pg.broadcaster.channel=c", "--pg.broadcaster.dispatch.threads=0"));
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("pg-broadcaster cannot start: pg.broadcaster.dispatch.threads must be at least 1, but is 0")
            .contains("Action:")
            .contains("fix pg.broadcaster.dispatch.threads");
    }

    @Test
    void aMissingChannelIsReportedWithThePropertyToSet(CapturedOutput output) {
        assertThatException().isThrownBy(() -> run());
        assertThat(output).contains("APPLICATION FAILED TO START").contains("pg.broadcaster.channel is not set");
    }

    @Test
    void aListenerThatCannotConnectWithFailFastIsReportedWithoutThePassword(CapturedOutput output) {
        assertThatException().isThrownBy(() -> run("--pg.broadcaster.channel=c", "--pg.broadcaster.fail-fast=true",
                "--pg.broadcaster.url=jdbc:postgresql://127.0.0.1:1/nowhere?password=s3cret-url-Pa55&connectTimeout=1",
                "--pg.broadcaster.password=s3cret-Pa55"));
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("pg-broadcaster could not LISTEN")
            .contains("jdbc:postgresql://127.0.0.1:1/nowhere")
            .contains("remove pg.broadcaster.fail-fast=true")
            .doesNotContain("s3cret-Pa55")
            .doesNotContain("s3cret-url-Pa55");
    }

    private static void run(String... args) {
        SpringApplication application = new SpringApplication(Application.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        String[] all = new String[args.length + 3];
        System.arraycopy(TestDatabase.get().datasourceProperties(), 0, all, 0, 3);
        for (int i = 0; i < 3; i++) {
            all[i] = "--" + all[i];
        }
        System.arraycopy(args, 0, all, 3, args.length);
        application.run(all).close();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(PgBroadcasterAutoConfiguration.class)
    static class Application {

    }

}
