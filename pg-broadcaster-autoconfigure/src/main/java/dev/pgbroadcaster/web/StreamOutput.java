package dev.pgbroadcaster.web;

import java.io.IOException;

/**
 * Where a client's events are written: the response of the web framework that opened the stream. Called by the
 * client's own writer thread only, one call at a time.
 */
public interface StreamOutput {

    /**
     * Writes text of the event stream and flushes it to the client; may block while the client does not read.
     * @throws IOException when the client has gone
     */
    void write(String text) throws IOException;

    /**
     * Ends the stream; the writer calls it once, last.
     */
    void close();

}
