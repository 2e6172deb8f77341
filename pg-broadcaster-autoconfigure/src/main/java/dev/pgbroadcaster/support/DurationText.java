package dev.pgbroadcaster.support;

import java.time.Duration;

/**
 * Writes a duration for a log line as it is written in {@code application.yml}: {@code 300ms}, {@code 5s}.
 */
public final class DurationText {

    private DurationText() {
    }

    public static String of(Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 60_000 == 0) {
            return (millis / 60_000) + "m";
        }
        if (millis != 0 && millis % 1000 == 0) {
            return (millis / 1000) + "s";
        }
        return millis + "ms";
    }

    /**
     * Writes {@code duration} in whole seconds from a second on ({@code 31s}), in milliseconds below: for how long
     * something has lasted.
     */
    public static String rounded(Duration duration) {
        long millis = duration.toMillis();
        return (millis >= 1000) ? (millis / 1000) + "s" : millis + "ms";
    }

}
