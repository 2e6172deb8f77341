package dev.pgbroadcaster;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class InvalidPayloadTests {

    private static final List<String> INVALID = List.of("not json", "", "   ", "null", "[]", "42", "\"text\"",
            "{\"schema\":\"public\",\"table\":\"t\"", "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\"} trailing",
            "{}", "{\"table\":\"t\",\"action\":\"INSERT\"}", "{\"schema\":\"public\",\"table\":\"\",\"action\":\"INSERT\"}",
            "{\"schema\":\"public\",\"table\":null,\"action\":\"INSERT\"}",
            "{\"schema\":1,\"table\":\"t\",\"action\":\"INSERT\"}",
            "{\"schema\":\"public\",\"table\":[\"t\"],\"action\":\"INSERT\"}",
            "{\"schema\":\"public\",\"table\":{\"name\":\"t\"},\"action\":\"INSERT\"}",
            "{\"schema\":\"public\",\"table\":\"t\",\"action\":true}", "[".repeat(2000) + "]".repeat(2000));

    private final String channel = Broadcasting.channel();

    @Test
    void invalidPayloadsAreDroppedAndCountedWhileValidOnesAroundThemArrive() {
        Broadcasting.application(this.channel).withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                List<ChangeNotification> valid = new ArrayList<>();
                for (int i = 0; i < INVALID.size(); i++) {
                    ChangeNotification notification = change("table_" + i, "INSERT");
                    valid.add(notification);
                    send(this.channel, notification);
                    send(this.channel, INVALID.get(i));
                }
                ChangeNotification last = change("last", "DELETE");
                valid.add(last);
                send(this.channel, last);

                Inbox<ChangeNotification> inbox = context.getBean(EventListenerDeliveryTests.Collecting.class).inbox;
                assertThat(inbox.upTo(last)).isEqualTo(valid);
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                // Counted once publishing returns, just after the listener handed the last one over.
                await().atMost(Inbox.DEADLINE).until(() -> statistics.published() == valid.size());
                assertThat(statistics.invalid()).isEqualTo(INVALID.size());
                assertThat(statistics.received()).isEqualTo(INVALID.size() + valid.size());
            });
    }

    @Test
    void unknownFieldsAreIgnored() {
        Broadcasting.application(this.channel).withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                send(this.channel, "{\"id\":7,\"schema\":\"sales\",\"table\":\"orders\",\"action\":\"UPDATE\","
                        + "\"old\":{\"nested\":[1,2,3]},\"at\":\"2026-11-24T10:00:00Z\"}");
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.next())
                    .isEqualTo(new ChangeNotification("sales", "orders", "UPDATE"));
                assertThat(context.getBean(BroadcasterStatistics.class).invalid()).isZero();
            });
    }

}
