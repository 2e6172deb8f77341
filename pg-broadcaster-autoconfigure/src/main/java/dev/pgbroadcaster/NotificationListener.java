package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Owns the listener connection and the one thread that reads it: LISTENs on the channels, hands every
 * notification to a handler, and reconnects when the connection fails.
 */
final class NotificationListener {

    private static final Log logger = LogFactory.getLog(Broadcaster.class);

    /** How long one read waits before the thread checks whether it should stop. */
    private static final int POLL_MILLIS = 200;

    @FunctionalInterface
    interface Handler {

        void handle(String channel, String payload);

    }

    private final ListenerConnectionFactory connectionFactory;

    private final List<String> channels;

    private final Handler handler;

    private final ExponentialBackOff reconnectBackOff;

    private final BroadcasterStatistics statistics;

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    private volatile Connection connection;

    private Thread thread;

    NotificationListener(ListenerConnectionFactory connectionFactory, List<String> channels, Handler handler,
            ExponentialBackOff reconnectBackOff, BroadcasterStatistics statistics) {
        this.connectionFactory = connectionFactory;
        this.channels = List.copyOf(channels);
        this.handler = handler;
        this.reconnectBackOff = reconnectBackOff;
        this.statistics = statistics;
    }

    /**
     * Connects and LISTENs on the calling thread, so that once this returns every notification committed from
     * then on is received, then starts reading on the listener thread.
     * @throws SQLException if the connection or LISTEN fails
     */
    void start() throws SQLException {
        this.connection = connectAndListen();
        this.statistics.recordConnected(false);
        this.thread = new Thread(this::readUntilStopped, "pg-broadcaster-listener");
        // Like other message listener containers, keeps a non-web application running while it listens.
        this.thread.setDaemon(false);
        this.thread.start();
        logger.info("Listening on " + describeChannels() + " through " + this.connectionFactory.description());
    }

    void requestStop() {
        this.stopRequested.countDown();
    }

    /**
     * Waits for the listener thread to finish, which closes the connection.
     * @return whether it finished before {@code deadline}
     */
    boolean awaitStop(long deadline) {
        if (this.thread == null) {
            return true;
        }
        try {
            this.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(BoundedExecutor.remainingNanos(deadline))));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return !this.thread.isAlive();
    }

    /**
     * Closes the connection from outside the listener thread, which breaks a read it is stuck in.
     */
    void abort() {
        Connection current = this.connection;
        if (current != null) {
            try {
                current.abort(Runnable::run);
            }
            catch (SQLException | RuntimeException ex) {
                logger.debug("Could not abort the listener connection", ex);
            }
        }
    }

    private boolean stopping() {
        return this.stopRequested.getCount() == 0;
    }

    private Connection connectAndListen() throws SQLException {
        Connection connection = this.connectionFactory.connect();
        try (Statement statement = connection.createStatement()) {
            // One round trip for all channels.
            statement.execute(this.channels.stream().map((name) -> "LISTEN " + ChannelNames.quote(name))
                .collect(Collectors.joining("; ")));
            return connection;
        }
        catch (SQLException | RuntimeException ex) {
            closeQuietly(connection);
            throw ex;
        }
    }

    private void readUntilStopped() {
        try {
            while (!stopping()) {
                try {
                    PGNotification[] notifications = this.connection.unwrap(PGConnection.class).getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            handle(notification);
                        }
                    }
                }
                catch (SQLException ex) {
                    if (stopping()) {
                        break;
                    }
                    logger.warn("Lost the listener connection to " + this.connectionFactory.description() + " ("
                            + ex.getMessage() + "); notifications sent until it is back are lost. Reconnecting.");
                    this.statistics.recordDisconnected();
                    closeQuietly(this.connection);
                    this.connection = reconnect();
                }
            }
        }
        finally {
            unlistenAndClose();
        }
    }

    private void handle(PGNotification notification) {
        try {
            this.handler.handle(notification.getName(), notification.getParameter());
        }
        catch (RuntimeException ex) {
            logger.error("Could not hand over a notification on channel " + ChannelNames.quote(notification.getName())
                    + "; listening goes on", ex);
        }
    }

    private Connection reconnect() {
        BackOffExecution backOff = this.reconnectBackOff.start();
        int attempt = 0;
        while (true) {
            long delay = backOff.nextBackOff();
            if (delay == BackOffExecution.STOP || awaitStopRequest(Duration.ofMillis(delay))) {
                return null;
            }
            attempt++;
            try {
                Connection reconnected = connectAndListen();
                this.statistics.recordConnected(true);
                logger.info("Reconnected after " + attempt + (attempt == 1 ? " attempt" : " attempts")
                        + "; listening again on " + describeChannels());
                return reconnected;
            }
            catch (SQLException | RuntimeException ex) {
                logger.warn("Reconnect attempt " + attempt + " to " + this.connectionFactory.description()
                        + " failed: " + ex.getMessage());
            }
        }
    }

    private boolean awaitStopRequest(Duration timeout) {
        try {
            return this.stopRequested.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void unlistenAndClose() {
        Connection current = this.connection;
        this.connection = null;
        this.statistics.recordDisconnected();
        if (current == null) {
            return;
        }
        try (Statement statement = current.createStatement()) {
            statement.execute("UNLISTEN *");
        }
        catch (SQLException ex) {
            logger.debug("UNLISTEN failed while stopping; closing the connection anyway", ex);
        }
        closeQuietly(current);
        logger.info("Stopped listening on " + describeChannels());
    }

    private String describeChannels() {
        return this.channels.stream().map(ChannelNames::quote).collect(Collectors.joining(", "));
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            }
            catch (SQLException ex) {
                logger.debug("Could not close the listener connection", ex);
            }
        }
    }

}
