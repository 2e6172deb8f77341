package dev.pgbroadcaster.web;

import java.util.Locale;

/**
 * Why a client's stream ended.
 */
public enum DisconnectReason {

    /** Its buffer was full with the {@code disconnect} policy: it did not keep up. */
    SLOW,

    /** It went away: a write to it failed, or the server saw its connection end. */
    GONE,

    /** The application is shutting down. */
    SHUTDOWN;

    /**
     * Returns the name used in metrics and health, in lower case.
     */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

}
