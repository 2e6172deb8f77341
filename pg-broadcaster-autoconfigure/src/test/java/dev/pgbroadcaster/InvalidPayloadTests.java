package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

@ExtendWith(OutputCaptureExtension.class)
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
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
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

                    EventRecorder recorder = context.getBean(EventRecorder.class);
                    assertThat(recorder.upTo(ChangeNotification.class, last)).isEqualTo(expected);
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
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                send(this.channel, "{\"id\":7,\"schema\":\"sales\",\"table\":\"orders\",\"action\":\"UPDATE\","
                        + "\"old\":{\"nested\":[1,2,3]},\"at\":\"2026-11-24T10:00:00Z\"}");
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class))
                    .isEqualTo(new ChangeNotification("sales", "orders", "UPDATE"));
                assertThat(context.getBean(BroadcasterStatistics.class).invalid()).isZero();
            });
    }

    @Test
    void eachChannelWarnsOfItsOwnFirstBadPayloadAndThrottlesOnlyItsOwn(CapturedOutput output) {
        String other = Broadcasting.channel();
        Broadcasting.application(this.channel).withPropertyValues("pg.broadcaster.channels[0]=" + other)
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                send(this.channel, "not json, on the first channel");
                send(other, "not json, on the second channel");
                await().atMost(Inbox.DEADLINE)
                    .until(() -> warnings(output, this.channel).size() == 1 && warnings(output, other).size() == 1);
                assertThat(warnings(output, this.channel).get(0)).contains("not json, on the first channel");
                assertThat(warnings(output, other).get(0)).contains("not json, on the second channel");

                send(this.channel, "not json either, on the first channel again");
                ChangeNotification after = change("after", "INSERT");
                send(this.channel, after);
                // The listener thread logs a bad payload before it hands over the next notification on the channel.
                EventRecorder recorder = context.getBean(EventRecorder.class);
                assertThat(recorder.upTo(ChangeNotification.class, after)).containsExactly(after);
                assertThat(context.getBean(BroadcasterStatistics.class).invalid()).isEqualTo(3);
                assertThat(warnings(output, this.channel)).hasSize(1);
                assertThat(warnings(output, other)).hasSize(1);
                assertThat(output.getOut()).doesNotContain("not json either");
            });
    }

    private static List<String> warnings(CapturedOutput output, String channel) {
        String warning = "Dropped a notification on channel " + Identifiers.quote(channel) + " because";
        return output.getOut().lines().filter((line) -> line.contains("WARN") && line.contains(warning)).toList();
    }

    private void notify(PreparedStatement notify, String payload) throws SQLException {
        notify.setString(1, this.channel);
        notify.setString(2, payload);
        notify.execute();
    }

}
