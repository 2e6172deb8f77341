package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

/**
 * Channels whose payloads are other types than {@link ChangeNotification}, and the {@link RawNotification}
 * that accompanies every notification.
 */
@ExtendWith(OutputCaptureExtension.class)
class TypedPayloadTests {

    private final String changes = Broadcasting.channel();

    private final String orders = "order.events_" + Broadcasting.channel();

    private final String text = Broadcasting.channel();

    @Test
    void aTypedChannelPublishesItsTypeAndTheOthersStayChangeNotifications() {
        application().run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            Inbox<ChangeNotification> subscriber = new Inbox<>();
            context.getBean(Broadcaster.class).subscribe(subscriber::add);
            send(this.orders, "{\"orderId\":7,\"trackingCode\":\"TRK-7\",\"note\":\"ignored\"}");
            send(this.changes, change("orders", "UPDATE"));
            assertThat(events.next(OrderShipped.class)).isEqualTo(new OrderShipped(7, "TRK-7"));
            assertThat(events.next(ChangeNotification.class)).isEqualTo(change("orders", "UPDATE"));
            // Subscribers take ChangeNotifications: the typed one never reached them.
            assertThat(subscriber.next()).isEqualTo(change("orders", "UPDATE"));
            assertThat(subscriber.isEmpty()).isTrue();
            assertThat(events.hasNoMore(ChangeNotification.class)).isTrue();
        });
    }

    @Test
    void theApplicationsObjectMapperReadsTypedPayloads() {
        application().withUserConfiguration(SnakeCaseMapper.class).run((context) -> {
            send(this.orders, "{\"order_id\":8,\"tracking_code\":\"TRK-8\"}");
            assertThat(context.getBean(EventRecorder.class).next(OrderShipped.class)).isEqualTo(new OrderShipped(8, "TRK-8"));
        });
    }

    @Test
    void aPayloadThatIsNotTheChannelsTypeIsCountedAndTheOthersArrive(CapturedOutput output) {
        application().run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            send(this.orders, "{\"orderId\":\"not a number\",\"trackingCode\":\"TRK-0\"}");
            send(this.orders, "not json");
            send(this.orders, "null");
            send(this.orders, "{\"orderId\":9,\"trackingCode\":\"TRK-9\"}");
            assertThat(events.next(OrderShipped.class)).isEqualTo(new OrderShipped(9, "TRK-9"));
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            assertThat(statistics.invalid()).isEqualTo(3);
            assertThat(statistics.received()).isEqualTo(4);
            String warning = "Dropped a notification on channel " + Identifiers.quote(this.orders)
                    + " because it is not of type OrderShipped: ";
            assertThat(output.getOut().lines().filter((line) -> line.contains(warning)))
                .singleElement(STRING)
                .contains("WARN")
                .contains("\"not a number\"");
        });
    }

    @Test
    void aRawChannelPublishesThePayloadAsWrittenAndDecodesNothing() throws Exception {
        application().run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            int sender = sendReturningProcessId(this.text, "plain text, not JSON");
            assertThat(events.next(RawNotification.class)).isEqualTo(new RawNotification(this.text, "plain text, not JSON", sender));
            int second = sendReturningProcessId(this.text, "");
            assertThat(events.next(RawNotification.class)).isEqualTo(new RawNotification(this.text, "", second));
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Inbox.DEADLINE).until(() -> statistics.published() == 2);
            assertThat(statistics.invalid()).isZero();
            assertThat(events.hasNoMore(ChangeNotification.class)).isTrue();
        });
    }

    @Test
    void everyDeliveredNotificationComesWithItsRawForm() throws Exception {
        application().run((context) -> {
            EventRecorder events = context.getBean(EventRecorder.class);
            ChangeNotification change = change("orders", "INSERT");
            int sender = sendReturningProcessId(this.changes, change.toString());
            assertThat(events.next(RawNotification.class)).isEqualTo(new RawNotification(this.changes, change.toString(), sender));
            assertThat(events.next(ChangeNotification.class)).isEqualTo(change);
            // An invalid payload is dropped whole: no raw form either.
            send(this.changes, "not json");
            int second = sendReturningProcessId(this.orders, "{\"orderId\":1,\"trackingCode\":\"TRK-1\"}");
            assertThat(events.next(RawNotification.class)).isEqualTo(
                    new RawNotification(this.orders, "{\"orderId\":1,\"trackingCode\":\"TRK-1\"}", second));
        });
    }

    @Test
    void aTypeThatIsNotOnTheClasspathFailsStartupNamingTheProperty() {
        application().withPropertyValues("pg.broadcaster.payload-types[2].channel=" + this.changes,
                "pg.broadcaster.payload-types[2].type=com.example.Missing")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.payload-types[2].type")
                .hasMessageContaining("com.example.Missing"));
    }

    @Test
    void aTypeForAChannelNotListenedOnFailsStartupNamingTheProperty() {
        application().withPropertyValues("pg.broadcaster.payload-types[2].channel=elsewhere",
                "pg.broadcaster.payload-types[2].type=raw")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.payload-types[2].channel")
                .hasMessageContaining("'elsewhere' is not one of the channels"));
    }

    @Test
    void twoTypesForOneChannelFailStartup() {
        application().withPropertyValues("pg.broadcaster.payload-types[2].channel=" + this.orders,
                "pg.broadcaster.payload-types[2].type=raw")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.payload-types[2].channel")
                .hasMessageContaining("already has a payload type"));
    }

    @Test
    void aMissingTypeFailsStartup() {
        application().withPropertyValues("pg.broadcaster.payload-types[2].channel=" + this.changes)
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.payload-types[2].type must be"));
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.changes)
            .withPropertyValues("pg.broadcaster.channels[0]=" + this.orders, "pg.broadcaster.channels[1]=" + this.text,
                    "pg.broadcaster.payload-types[0].channel=" + this.orders,
                    "pg.broadcaster.payload-types[0].type=" + OrderShipped.class.getName(),
                    "pg.broadcaster.payload-types[1].channel=" + this.text, "pg.broadcaster.payload-types[1].type=raw")
            .withUserConfiguration(EventRecorder.class);
    }

    private static int sendReturningProcessId(String channel, String payload) throws SQLException {
        try (Connection connection = TestDatabase.get().connect();
                PreparedStatement statement = connection.prepareStatement("SELECT pg_backend_pid(), pg_notify(?, ?)")) {
            statement.setString(1, channel);
            statement.setString(2, payload);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    public record OrderShipped(long orderId, String trackingCode) {

    }

    @Configuration(proxyBeanMethods = false)
    static class SnakeCaseMapper {

        @Bean
        ObjectMapper objectMapper() {
            return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        }

    }

}
