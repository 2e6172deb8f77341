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

    interface Running extends AutoCloseable {

        Sender newSender() throws Exception;

        /**
         * How many events wait inside the contender, where it can tell; -1 otherwise.
         */
        default int queued() {
            return -1;
        }

        @Override
        void close() throws Exception;

    }

}
