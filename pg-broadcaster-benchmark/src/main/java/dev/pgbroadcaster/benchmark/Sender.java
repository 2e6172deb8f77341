package dev.pgbroadcaster.benchmark;

/**
 * Sends one event the way a contender's users send it, in a transaction of its own, stamping it with
 * {@link System#nanoTime()} just before the statement that commits it. One per publishing thread.
 */
interface Sender extends AutoCloseable {

    void send(long seq) throws Exception;

    @Override
    void close() throws Exception;

}
