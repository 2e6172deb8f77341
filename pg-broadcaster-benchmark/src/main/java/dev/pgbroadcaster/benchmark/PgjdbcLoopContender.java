package dev.pgbroadcaster.benchmark;

import java.sql.Connection;
import java.sql.Statement;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The loop users write by hand: a connection of its own, LISTEN, then {@code getNotifications(timeout)} in a
 * thread, each payload read with Jackson. With the low-latency socket it is the raw ceiling: the same loop
 * without the driver's 1 ms wake-up probe and with no Spring in the way.
 */
final class PgjdbcLoopContender implements Contender {

    private static final int POLL_TIMEOUT_MILLIS = 500;

    private final boolean lowLatencySocket;

    private final ObjectMapper mapper = new ObjectMapper();

    PgjdbcLoopContender(boolean lowLatencySocket) {
        this.lowLatencySocket = lowLatencySocket;
    }

    @Override
    public String name() {
        return this.lowLatencySocket ? "raw ceiling" : "plain pgjdbc loop";
    }

    @Override
    public Running start(Database database, String channel, int listeners, Recorder recorder) throws Exception {
        Connection connection = database.connect("pg-broadcaster-benchmark-loop", this.lowLatencySocket);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN \"" + channel + "\"");
        }
        PGConnection pg = connection.unwrap(PGConnection.class);
        Loop loop = new Loop(pg, listeners, recorder);
        Thread thread = new Thread(loop, "benchmark-" + name().replace(' ', '-'));
        thread.setDaemon(true);
        thread.start();
        return new Running() {

            @Override
            public Sender newSender() throws Exception {
                return NotifySender.plain(database, channel);
            }

            @Override
            public void close() throws Exception {
                loop.running = false;
                thread.join(5_000);
                connection.close();
                if (loop.failure != null) {
                    throw new IllegalStateException(name() + " failed", loop.failure);
                }
            }

        };
    }

    private final class Loop implements Runnable {

        private final PGConnection connection;

        private final int listeners;

        private final Recorder recorder;

        volatile boolean running = true;

        volatile Exception failure;

        Loop(PGConnection connection, int listeners, Recorder recorder) {
            this.connection = connection;
            this.listeners = listeners;
            this.recorder = recorder;
        }

        @Override
        public void run() {
            try {
                while (this.running) {
                    PGNotification[] notifications = this.connection.getNotifications(POLL_TIMEOUT_MILLIS);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification notification : notifications) {
                        BenchEvent event = PgjdbcLoopContender.this.mapper.readValue(notification.getParameter(),
                                BenchEvent.class);
                        for (int listener = 0; listener < this.listeners; listener++) {
                            this.recorder.deliver(listener, event.seq(), event.sentNanos());
                        }
                    }
                }
            }
            catch (Exception ex) {
                this.failure = ex;
            }
        }

    }

}
