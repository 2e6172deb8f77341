package dev.pgbroadcaster.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a user of the sample sees at {@code /actuator}: the {@code pgBroadcaster} health with its details, and the
 * {@code pg.broadcaster.*} metrics.
 */
class ActuatorEndpointsTests {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void healthAndMetricsShowTheBroadcaster() throws Exception {
        String[] args = Stream.concat(Stream.of(TestDatabase.get().datasourceProperties()).map((property) -> "--" + property),
                Stream.of("--sample.writer.interval=100ms", "--server.port=0"))
            .toArray(String[]::new);
        try (ConfigurableApplicationContext context = SampleApplication.application().run(args)) {
            String base = "http://localhost:" + context.getEnvironment().getProperty("local.server.port") + "/actuator";
            assertThat(get(base + "/health")).contains("\"pgBroadcaster\":{\"status\":\"UP\"")
                .contains("\"channels\":[\"backend.table_change\",\"order-events\"]")
                .contains("\"notificationQueueUsage\":")
                .doesNotContain("password");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    get(base + "/metrics/pg.broadcaster.notifications.received?tag=channel:order-events"))
                .contains("\"name\":\"pg.broadcaster.notifications.received\"")
                .doesNotContain("\"value\":0.0"));
            assertThat(get(base + "/metrics/pg.broadcaster.delivery.latency")).contains("\"statistic\":\"COUNT\"");
            // Each delivery is an observation, which Boot's registry times.
            assertThat(get(base + "/metrics/pg.broadcaster.delivery?tag=pg.broadcaster.channel:order-events"
                    + "&tag=pg.broadcaster.payload.type:OrderShipped&tag=pg.broadcaster.outcome:success"))
                .contains("\"statistic\":\"COUNT\"");
            assertThat(get(base + "/metrics/pg.broadcaster.connected")).contains("\"value\":1.0");
            assertThat(get(base + "/metrics/pg.broadcaster.server.notification-queue-usage"))
                .contains("\"name\":\"pg.broadcaster.server.notification-queue-usage\"");
        }
    }

    private String get(String url) throws Exception {
        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

}
