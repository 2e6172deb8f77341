package dev.pgbroadcaster.benchmark;

/**
 * One way of receiving notifications in a JVM, started afresh for each workload.
 */
interface Contender {

    String name();

    /**
     * Starts receiving on {@code channel}, handing every event to {@code listeners} listeners, which report
     * to {@code recorder} in order, so the last one's report is the latency of the whole fan-out.
     */
    Running start(Database database, String channel, int listeners, Recorder recorder) throws Exception;

    /**
     * Whether this contender receives what {@code pg_notify} sends (rather than having its own way of sending).
     */
    default boolean receivesNotify() {
        return true;
    }

    default boolean fansOut() {
        return true;
    }

    /**
     * Whether this contender takes part in the flat-out workloads (max throughput, burst), which send a million
     * notifications as fast as two publishers can.
     */
    default boolean takesFloods() {
        return true;
    }

    /**
     * Whether this contender replays, after a gap, what was sent while its listener was away.
     */
    default boolean replays() {
        return false;
    }

    interface Running extends AutoCloseable {

        Sender newSender() throws Exception;

        /**
         * How many events wait inside the contender, where it can tell; -1 otherwise.
         */
        default int queued() {
            return -1;
        }

        /**
         * Ends the listener's session on the server and keeps it from connecting again until {@link #letBack},
         * returning once it has noticed; only for a contender that {@link Contender#replays() replays}.
         */
        default void keepAway(long deadlineNanos) throws Exception {
            throw new UnsupportedOperationException("This contender does not replay");
        }

        /**
         * Lets the listener connect again and waits for it to announce that it is connected.
         */
        default Reconnection letBack(long deadlineNanos) throws Exception {
            throw new UnsupportedOperationException("This contender does not replay");
        }

        @Override
        void close() throws Exception;

    }

    /**
     * How the listener came back after {@link Running#letBack}.
     *
     * @param attemptNanos when it began the connection attempt that succeeded ({@link System#nanoTime()})
     * @param connectedNanos when its connected event reached the application
     * @param replayed how many changes the connected event says were replayed before it
     */
    record Reconnection(long attemptNanos, long connectedNanos, long replayed) {

    }

}
