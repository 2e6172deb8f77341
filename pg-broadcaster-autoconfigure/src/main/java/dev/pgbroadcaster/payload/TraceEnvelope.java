package dev.pgbroadcaster.payload;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The envelope in which {@code PgNotifier} carries the sender's trace context ahead of the payload, when
 * propagation is on: {@value #START} (U+0001), one {@code field:value} line per propagation field
 * ({@code traceparent}, {@code tracestate}, {@code b3}, ...), each ended by a line feed, {@value #END} (U+0002),
 * then the payload as it would be without it. Neither character appears in JSON text nor, in practice, in text a
 * trigger or {@code psql} sends, so any payload that does not start with U+0001 is plain.
 * <p>
 * A receiver opens every envelope, whether or not it propagates itself, so that its listeners and decoder see the
 * payload the sender wrote.
 */
public final class TraceEnvelope {

    /** Starts an envelope. */
    public static final char START = '\u0001';

    /** Ends an envelope's fields; the payload follows. */
    public static final char END = '\u0002';

    private TraceEnvelope() {
    }

    /**
     * Returns whether {@code payload} would be taken for an envelope.
     */
    public static boolean looksEnveloped(String payload) {
        return payload != null && !payload.isEmpty() && payload.charAt(0) == START;
    }

    /**
     * Returns {@code payload} in an envelope with {@code fields}, or {@code payload} itself when there are none.
     * A field whose name or value could not be read back (a line feed, a colon in the name, an envelope character)
     * is left out.
     */
    public static String wrap(Map<String, String> fields, String payload) {
        StringBuilder envelope = null;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            String name = field.getKey();
            String value = field.getValue();
            if (name == null || name.isEmpty() || value == null || !fits(name, true) || !fits(value, false)) {
                continue;
            }
            if (envelope == null) {
                envelope = new StringBuilder(payload.length() + 96).append(START);
            }
            envelope.append(name).append(':').append(value).append('\n');
        }
        return (envelope != null) ? envelope.append(END).append(payload).toString() : payload;
    }

    /**
     * Opens {@code payload}: its fields and the payload inside, or, when it is not an envelope (or a malformed
     * one), no fields and the payload as it is.
     */
    public static Opened open(String payload) {
        if (!looksEnveloped(payload)) {
            return Opened.plain(payload);
        }
        int end = payload.indexOf(END);
        if (end < 0) {
            return Opened.plain(payload);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        int line = 1;
        while (line < end) {
            int lineEnd = payload.indexOf('\n', line);
            if (lineEnd < 0 || lineEnd > end) {
                return Opened.plain(payload);
            }
            int colon = payload.indexOf(':', line);
            if (colon <= line || colon > lineEnd) {
                return Opened.plain(payload);
            }
            fields.put(payload.substring(line, colon), payload.substring(colon + 1, lineEnd));
            line = lineEnd + 1;
        }
        return new Opened(Collections.unmodifiableMap(fields), payload.substring(end + 1));
    }

    private static boolean fits(String text, boolean name) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == START || c == END || (name && c == ':')) {
                return false;
            }
        }
        return true;
    }

    /**
     * An opened payload.
     *
     * @param fields the trace context's propagation fields, empty for a plain payload
     * @param payload the payload inside the envelope
     */
    public record Opened(Map<String, String> fields, String payload) {

        static Opened plain(String payload) {
            return new Opened(Map.of(), payload);
        }

    }

}
