package dev.pgbroadcaster;

import java.io.IOException;

/**
 * Writes an object as the text of a notification's payload.
 */
@FunctionalInterface
public interface PayloadWriter {

    /**
     * Returns {@code payload} as text, usually JSON.
     * @param payload the object to write
     * @return its text
     * @throws IOException if it cannot be written
     */
    String write(Object payload) throws IOException;

}
