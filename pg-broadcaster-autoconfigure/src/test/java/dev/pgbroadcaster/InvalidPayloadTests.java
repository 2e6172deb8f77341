package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class InvalidPayloadTests {

    private final String channel = Broadcasting.channel();

    @Test
    void hostilePayloadsAmongValidOnesAreCountedOrDeliveredAndNeverStopTheListener() {
        List<HostilePayloads.Hostile> corpus = HostilePayloads.all();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(50);
        assertThat(corpus).allSatisfy((hostile) -> assertThat(HostilePayloads.bytes(hostile.payload()))
            .as(hostile.description()).isLessThanOrEqualTo(HostilePayloads.MAX_BYTES));
        assertThat(corpus).filteredOn((hostile) -> HostilePayloads.bytes(hostile.payload()) == HostilePayloads.MAX_BYTES)
            .hasSizeGreaterThanOrEqualTo(6);
        Broadcasting.application(this.channel).withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                List<ChangeNotification> expected = new ArrayList<>();
                try (Connection connection = TestDatabase.get().connect();
                        PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                    for (int i = 0; i < corpus.size(); i++) {
                        ChangeNotification around = change("around_" + i, "INSERT");
                        notify(notify, around.toString());
                        expected.add(around);
                        HostilePayloads.Hostile hostile = corpus.get(i);
                        notify(notify, hostile.payload());
                        if (hostile.valid()) {
                            expected.add(hostile.expected());
                        }
                    }
                    ChangeNotification last = change("last", "DELETE");
                    notify(notify, last.toString());
                    expected.add(last);

                    Inbox<ChangeNotification> inbox = context.getBean(EventListenerDeliveryTests.Collecting.class).inbox;
                    assertThat(inbox.upTo(last)).isEqualTo(expected);
                }
                BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
                int invalid = (int) corpus.stream().filter((hostile) -> !hostile.valid()).count();
                // Counted once publishing returns, just after the listener handed the last one over.
                await().atMost(Inbox.DEADLINE).until(() -> statistics.published() == expected.size());
                assertThat(statistics.invalid()).isEqualTo(invalid);
                assertThat(statistics.received()).isEqualTo(2L * corpus.size() + 1);
                assertThat(statistics.connected()).isTrue();
                ReliabilityFigures.hostilePayloads(corpus.size(), invalid, corpus.size() + 1);
            });
    }

    @Test
    void postgresqlRefusesAPayloadOfEightThousandBytesSoSevenThousandNineHundredNinetyNineIsTheLargest() {
        assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> send(this.channel, "x".repeat(8000)))
            .havingRootCause()
            .withMessageContaining("payload string too long");
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

    private void notify(PreparedStatement notify, String payload) throws SQLException {
        notify.setString(1, this.channel);
        notify.setString(2, payload);
        notify.execute();
    }

}
