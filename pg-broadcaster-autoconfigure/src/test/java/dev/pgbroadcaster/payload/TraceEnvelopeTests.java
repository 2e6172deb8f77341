package dev.pgbroadcaster.payload;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TraceEnvelopeTests {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void fieldsAndPayloadComeBackAsTheyWent() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("traceparent", TRACEPARENT);
        fields.put("tracestate", "vendor=a:b, other=c");
        String enveloped = TraceEnvelope.wrap(fields, "{\"id\":42}");
        assertThat(enveloped)
            .isEqualTo("\u0001traceparent:" + TRACEPARENT + "\ntracestate:vendor=a:b, other=c\n\u0002{\"id\":42}");
        TraceEnvelope.Opened opened = TraceEnvelope.open(enveloped);
        assertThat(opened.fields()).containsExactlyEntriesOf(fields);
        assertThat(opened.payload()).isEqualTo("{\"id\":42}");
    }

    @Test
    void anEmptyPayloadAndAPayloadWithTheEnvelopesCharactersComeBackToo() {
        String payload = "line\none\u0002two\u0001";
        assertThat(TraceEnvelope.open(TraceEnvelope.wrap(Map.of("b3", "x-y-1"), payload)).payload()).isEqualTo(payload);
        assertThat(TraceEnvelope.open(TraceEnvelope.wrap(Map.of("b3", "x-y-1"), "")).payload()).isEmpty();
    }

    @Test
    void withoutFieldsThereIsNoEnvelope() {
        assertThat(TraceEnvelope.wrap(Map.of(), "plain")).isEqualTo("plain");
    }

    @Test
    void aFieldThatCouldNotBeReadBackIsLeftOut() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("bad:name", "v");
        fields.put("badvalue", "a\nb");
        fields.put("traceparent", TRACEPARENT);
        assertThat(TraceEnvelope.open(TraceEnvelope.wrap(fields, "p")).fields())
            .containsExactlyEntriesOf(Map.of("traceparent", TRACEPARENT));
        assertThat(TraceEnvelope.wrap(Map.of("badvalue", "a\u0002b"), "p")).isEqualTo("p");
    }

    @Test
    void plainAndMalformedPayloadsAreLeftAsTheyAre() {
        for (String payload : new String[] { "", "{\"table\":\"orders\"}", "\u0001no end", "\u0001no colon\n\u0002p",
                "\u0001traceparent:x\u0002p", null }) {
            TraceEnvelope.Opened opened = TraceEnvelope.open(payload);
            assertThat(opened.fields()).isEmpty();
            assertThat(opened.payload()).isEqualTo(payload);
        }
    }

}
