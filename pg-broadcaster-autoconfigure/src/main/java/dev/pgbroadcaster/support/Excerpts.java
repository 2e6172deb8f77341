package dev.pgbroadcaster.support;

/**
 * Short, single-line forms of texts that come from outside (payloads, driver messages) for log lines and errors.
 */
public final class Excerpts {

    private static final int MAX_CHARACTERS = 120;

    private Excerpts() {
    }

    /**
     * Returns the first line of {@code message}, or "unreadable" when there is none.
     */
    public static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline >= 0 ? message.substring(0, newline) : message;
    }

    /**
     * Returns {@code payload} quoted, control characters replaced and cut to 120 characters, saying how long it was.
     */
    public static String of(String payload) {
        if (payload == null) {
            return "null";
        }
        String singleLine = payload.replaceAll("\\p{Cntrl}", "?");
        return singleLine.length() <= MAX_CHARACTERS ? "'" + singleLine + "'"
                : "'" + singleLine.substring(0, MAX_CHARACTERS) + "...' (" + payload.length() + " characters)";
    }

}
