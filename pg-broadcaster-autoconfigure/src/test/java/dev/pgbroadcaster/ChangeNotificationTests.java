package dev.pgbroadcaster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChangeNotificationTests {

    @Test
    void toStringRendersTheJsonTheTriggerSends() {
        assertThat(new ChangeNotification("public", "orders", "INSERT"))
            .hasToString("{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
    }

    @Test
    void toStringEscapesWhatJsonNeedsEscaped() {
        assertThat(new ChangeNotification("we\"ird", "back\\slash", "new\nline"))
            .hasToString("{\"schema\":\"we\\\"ird\",\"table\":\"back\\\\slash\",\"action\":\"new\\nline\"}");
    }

    @Test
    void toStringRendersMissingFieldsAsNull() {
        assertThat(new ChangeNotification(null, "t", null))
            .hasToString("{\"schema\":null,\"table\":\"t\",\"action\":null}");
    }

}
