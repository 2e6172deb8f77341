package dev.pgbroadcaster.sample;

import java.time.Duration;
import java.util.stream.Stream;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample against a configured server: its writer's changes come back as events and to subscribers.
 */
@ExtendWith(OutputCaptureExtension.class)
class EventsFlowTests {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @Test
    void writerChangesAndShippedOrdersReachEventListenersAndSubscribers(CapturedOutput output) {
        String[] args = Stream.concat(Stream.of(TestDatabase.get().datasourceProperties()).map((property) -> "--" + property),
                Stream.of("--sample.writer.interval=100ms", "--server.port=0"))
            .toArray(String[]::new);
        try (ConfigurableApplicationContext context = SampleApplication.application().sources(EventProbe.class).run(args)) {
            assertThat(context.containsBean(EmbeddedPostgresFallback.BEAN_NAME)).isFalse();
            EventProbe probe = context.getBean(EventProbe.class);
            await().atMost(DEADLINE).untilAsserted(() -> {
                assertThat(probe.eventActionsOnOrders()).contains("INSERT", "UPDATE", "DELETE");
                assertThat(probe.subscribedActionsOnOrders()).contains("INSERT", "UPDATE", "DELETE");
                // Sent with PgNotifier in the writer's transaction, received as a typed event.
                assertThat(probe.shipped()).isNotEmpty();
                assertThat(output).contains("@EventListener got OrderShipped: order " + probe.shipped().get(0).orderId())
                    .contains("Raw notification on order-events from server process ");
                // The sample's own listener and subscriber log what they get.
                assertThat(output).contains("@EventListener got {\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}")
                    .contains("Subscriber got {\"schema\":\"public\",\"table\":\"orders\",\"action\":\"DELETE\"}");
            });
        }
        assertThat(output).contains("Using the PostgreSQL server at "
                + EmbeddedPostgresFallback.withoutCredentials(TestDatabase.get().jdbcUrl()));
    }

}
