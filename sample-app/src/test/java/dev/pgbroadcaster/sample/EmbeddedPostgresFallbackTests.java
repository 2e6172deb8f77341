package dev.pgbroadcaster.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import dev.pgbroadcaster.testsupport.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample with no {@code spring.datasource.url}: it brings its own PostgreSQL and stops it when it closes.
 */
@ExtendWith(OutputCaptureExtension.class)
class EmbeddedPostgresFallbackTests {

    @Test
    void startsItsOwnServerAndStopsItAfterTheBroadcaster(CapturedOutput output) {
        assumeThat(System.getenv("SPRING_DATASOURCE_URL")).as("SPRING_DATASOURCE_URL must not be set").isNull();
        ConfigurableApplicationContext context = SampleApplication.application()
            .sources(EventProbe.class)
            .run("--sample.writer.interval=100ms", "--server.port=0");
        int port;
        try {
            EmbeddedPostgresServer server = context.getBean(EmbeddedPostgresServer.class);
            port = server.port();
            assertThat(context.getEnvironment().getProperty("spring.datasource.url")).isEqualTo(server.jdbcUrl());
            assertThat(acceptsConnections(port)).isTrue();
            EventProbe probe = context.getBean(EventProbe.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(probe.eventActionsOnOrders()).contains("INSERT", "UPDATE", "DELETE");
                assertThat(probe.subscribedActionsOnOrders()).contains("INSERT", "UPDATE", "DELETE");
            });
        }
        finally {
            context.close();
        }
        // close() waits for the server to stop; the deadline only covers the socket being released.
        await().atMost(Duration.ofSeconds(10)).until(() -> !acceptsConnections(port));
        String log = output.toString();
        assertThat(log.indexOf("Stopped listening on")).isPositive()
            .isLessThan(log.indexOf("Stopped the embedded PostgreSQL server"));
        assertThat(log).doesNotContain("Lost the listener connection");
    }

    @Test
    void logsAConfiguredServerWithoutItsCredentials() {
        assertThat(EmbeddedPostgresFallback.withoutCredentials("jdbc:postgresql://app:s3cret@db:5432/shop?password=s3cret&ssl=true"))
            .isEqualTo("jdbc:postgresql://db:5432/shop");
    }

    private static boolean acceptsConnections(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", port), 1000);
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

}
