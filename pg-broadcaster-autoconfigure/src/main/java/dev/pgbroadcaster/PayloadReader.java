package dev.pgbroadcaster;

import java.io.IOException;

/**
 * Reads a notification's payload as an object of the type configured for its channel.
 */
@FunctionalInterface
public interface PayloadReader {

    /**
     * Reads {@code payload} as a {@code type}.
     * @param payload the payload text
     * @param type the type to read it as
     * @return the object, never {@code null}
     * @throws IOException if the payload is not a {@code type}; the notification is then counted as invalid,
     * logged and dropped
     */
    Object read(String payload, Class<?> type) throws IOException;

}
