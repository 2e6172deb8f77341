package dev.pgbroadcaster.web;

/**
 * What happens when a client's buffer is full.
 */
public enum EventStreamOverflow {

    /** Drop the notification and, once there is room again, send a {@code gap} event that counts what was dropped. */
    GAP,

    /** Close that client's stream. */
    DISCONNECT

}
