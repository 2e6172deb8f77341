package dev.pgbroadcaster.payload;

import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.HostilePayloads;
import dev.pgbroadcaster.payload.ChangeNotificationJson;
import dev.pgbroadcaster.payload.InvalidPayloadException;
import dev.pgbroadcaster.payload.Jackson2ChangeNotificationJson;
import dev.pgbroadcaster.payload.Jackson3ChangeNotificationJson;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.FilteredClassLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Without Jackson 2, {@link ChangeNotification}s are read and written with Jackson 3, exactly as with Jackson 2.
 */
class Jackson3ChangeNotificationJsonTests {

    private final ChangeNotificationJson jackson2 = new Jackson2ChangeNotificationJson();

    private final ChangeNotificationJson jackson3 = new Jackson3ChangeNotificationJson();

    @Test
    void jackson3IsUsedWhenJackson2IsNotThereAndJackson2WhenItIs() {
        assertThat(ChangeNotificationJson.using(new FilteredClassLoader("com.fasterxml.jackson.databind")))
            .isInstanceOf(Jackson3ChangeNotificationJson.class);
        assertThat(ChangeNotificationJson.using(getClass().getClassLoader())).isInstanceOf(Jackson2ChangeNotificationJson.class);
    }

    @Test
    void withoutEitherJacksonTheMessageSaysWhatToAdd() {
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> ChangeNotificationJson.using(new FilteredClassLoader("com.fasterxml.jackson.databind", "tools.jackson.databind")))
            .withMessageContaining("tools.jackson.core:jackson-databind");
    }

    @Test
    void everyHostilePayloadIsDeliveredOrDroppedAsWithJackson2() {
        List<String> differences = new ArrayList<>();
        for (HostilePayloads.Hostile hostile : HostilePayloads.all()) {
            Object expected = outcome(this.jackson2, hostile.payload());
            Object actual = outcome(this.jackson3, hostile.payload());
            assertThat(expected).as(hostile.description()).isEqualTo(hostile.valid() ? hostile.expected() : "dropped");
            if (!expected.equals(actual)) {
                differences.add(hostile.description() + ": Jackson 2 " + expected + ", Jackson 3 " + actual);
            }
        }
        assertThat(differences).isEmpty();
    }

    @Test
    void writesTheJsonTheTriggerSendsAsJackson2Does() {
        for (ChangeNotification notification : List.of(new ChangeNotification("public", "orders", "INSERT"),
                new ChangeNotification("we\"ird", "back\\slash", "new\nline\u0001"), new ChangeNotification(null, "t", null),
                new ChangeNotification("sch\u00e9ma", "\u65e5\u672c", "\uD83D\uDE00"))) {
            assertThat(this.jackson3.write(notification)).isEqualTo(this.jackson2.write(notification));
        }
        assertThat(this.jackson3.write(new ChangeNotification("public", "orders", "INSERT")))
            .isEqualTo("{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
    }

    private static Object outcome(ChangeNotificationJson json, String payload) {
        try {
            return json.decode(payload);
        }
        catch (InvalidPayloadException ex) {
            return "dropped";
        }
    }

}
