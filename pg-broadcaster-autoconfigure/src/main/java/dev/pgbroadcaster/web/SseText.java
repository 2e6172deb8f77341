package dev.pgbroadcaster.web;

import java.util.regex.Pattern;

/**
 * The text of server-sent events, as the HTML standard's event-stream format has it: {@code event:}, one
 * {@code data:} line per line of the payload (a browser joins them again with line feeds), a blank line.
 */
final class SseText {

    // First: the events below are built with it.
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

    /** Written once when a stream opens, so that the client sees the response at once. */
    static final String OPENED = ": pg-broadcaster\n\n";

    /** Written to a stream idle for the heartbeat interval: a comment, which a browser ignores. */
    static final String HEARTBEAT = ": heartbeat\n\n";

    /** Told to a client that reconnected with {@code Last-Event-ID}, which this server cannot resume from. */
    static final String RESYNC_RECONNECTED = event("resync", null, "{\"reason\":\"reconnected\"}");

    /** Told to every client when the listener came back with notifications possibly missed meanwhile. */
    static final String RESYNC_LISTENER_RECONNECTED = event("resync", null, "{\"reason\":\"listener-reconnected\"}");

    /** Told to a client that came back from further than the journal reaches, or with more to catch up on than sent. */
    static final String RESYNC_NOT_IN_JOURNAL = event("resync", null, "{\"reason\":\"not-in-journal\"}");

    /** Told to a client that came back when the journal could not be read. */
    static final String RESYNC_JOURNAL_UNREADABLE = event("resync", null, "{\"reason\":\"journal-unreadable\"}");

    /** Told to every client when the listener lost its connection; it reconnects by itself. */
    static final String RECONNECTING = event("reconnecting", null, "{\"reason\":\"listener-disconnected\"}");

    /** Told to every client when the listener came back and the journal replayed everything it missed. */
    static final String LIVE = event("live", null, "{\"reason\":\"listener-reconnected\"}");

    /**
     * The id a stream starts with when there is no journal: a browser that reconnects sends it back as
     * {@code Last-Event-ID}, and is told to resync.
     */
    static final String NO_POSITION = "0";

    private SseText() {
    }

    /**
     * Returns one event.
     * @param name its type, the {@code event:} field
     * @param id its {@code id:} field (what a browser sends back as {@code Last-Event-ID}), or {@code null} for none
     * @param data its payload, written as sent
     */
    static String event(String name, String id, String data) {
        StringBuilder text = new StringBuilder(data.length() + name.length() + 24);
        text.append("event: ").append(oneLine(name)).append('\n');
        if (id != null) {
            text.append("id: ").append(oneLine(id)).append('\n');
        }
        if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) {
            text.append("data: ").append(data).append('\n');
        }
        else {
            for (String line : LINE_BREAK.split(data, -1)) {
                text.append("data: ").append(line).append('\n');
            }
        }
        return text.append('\n').toString();
    }

    /**
     * Returns a field that sets the id a browser sends back when it reconnects, without an event: the event-stream
     * format keeps the id of a block that has no data, and dispatches nothing.
     */
    static String id(String id) {
        return "id: " + oneLine(id) + "\n\n";
    }

    static String gap(long dropped) {
        return event("gap", null, "{\"dropped\":" + dropped + "}");
    }

    // A field's value ends at a line break: one inside a channel name would start a field of its own.
    private static String oneLine(String value) {
        return LINE_BREAK.matcher(value).replaceAll(" ");
    }

}
