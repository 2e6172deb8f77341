package dev.pgbroadcaster.listening;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.stream.Collectors;

import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.support.DurationText;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.Redaction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.core.BaseConnection;

/**
 * One open connection that LISTENs on the channels, used by the listener thread alone (except
 * {@link #abort()}). Besides reading notifications it keeps two promises:
 * <ul>
 * <li>liveness: a blocking read never notices a dead peer, so every round trip is bounded by the liveness
 * timeout, and after the liveness interval without traffic a validation round trip checks the connection;</li>
 * <li>delivery: right after LISTEN it sends a notification on a private channel from another connection, opened
 * by the same factory, and warns when that does not arrive, which is what happens behind a pooler in transaction
 * pooling mode. The other connection matters: such a pooler hands the listener's next transaction the server
 * connection that ran LISTEN, so a notification the listener sent itself would come back and prove nothing.</li>
 * </ul>
 */
final class ListenerConnection {

    private static final Log logger = LogFactory.getLog(ListenerConnection.class);

    /** How long one read waits before the listener thread checks whether it should stop. */
    static final int POLL_MILLIS = 200;

    private static final String PROBE_PREFIX = "pg_broadcaster_probe_";

    /** How long closing waits for the delivery check's sender to finish. */
    private static final Duration PROBE_SENDER_GRACE = Duration.ofSeconds(1);

    /**
     * The least time the probe's own connection may take to open and send: as long as a connection attempt of the
     * default factory may wait for the server, even when the liveness timeout is shorter.
     */
    private static final Duration PROBE_SEND_FLOOR = Duration.ofSeconds(JdbcListenerConnectionFactory.CONNECT_SOCKET_TIMEOUT_SECONDS);

    private final Connection connection;

    private final ListenerConnectionFactory factory;

    private final PGConnection notifications;

    private final String description;

    /** The host and port this connection reached, or {@code null} when the driver does not say. */
    private final String server;

    private final String probeChannel;

    private final long livenessIntervalNanos;

    private final Duration livenessTimeout;

    private long lastHeardFrom = System.nanoTime();

    /** Written by the listener thread alone, read by the statistics from any thread. */
    private volatile Probe probe = Probe.NOT_SENT;

    private long probeDeadline;

    private CompletableFuture<Void> probeSent;

    private Thread probeSender;

    private final Consumer<BroadcasterStatistics.DeliveryCheck> checked;

    private final DoubleConsumer queueUsage;

    /** When the server's notification queue usage was last read, in {@link System#nanoTime()}. */
    private long queueUsageReadAt;

    /** Why the server's notification queue usage cannot be read on this connection, or {@code null}. */
    private String queueUsageUnreadable;

    /** The channels of the replay source, if any, LISTENed on besides the application's. */
    private final Set<String> sourceChannels;

    private ListenerConnection(Connection connection, String server, ListenerConnectionFactory factory,
            String probeChannel, Set<String> sourceChannels, RecoverySettings settings,
            Consumer<BroadcasterStatistics.DeliveryCheck> checked, DoubleConsumer queueUsage) throws SQLException {
        this.connection = connection;
        this.server = server;
        this.checked = checked;
        this.queueUsage = queueUsage;
        this.queueUsageReadAt = System.nanoTime();
        this.sourceChannels = sourceChannels;
        this.factory = factory;
        this.notifications = connection.unwrap(PGConnection.class);
        this.description = factory.description();
        this.probeChannel = probeChannel;
        this.livenessIntervalNanos = settings.livenessInterval().toNanos();
        this.livenessTimeout = settings.livenessTimeout();
    }

    /**
     * Opens a connection and LISTENs, in one round trip, on every channel, on those of the replay source, and on a
     * private probe channel; then reads the server's notification queue usage.
     * @param source the replay source, or {@code null}
     * @param checked hears where the delivery check stands each time that changes
     * @param queueUsage hears each reading of the server's notification queue usage
     */
    static ListenerConnection open(ListenerConnectionFactory factory, List<String> channels, ReplaySource source,
            RecoverySettings settings, Consumer<BroadcasterStatistics.DeliveryCheck> checked, DoubleConsumer queueUsage)
            throws SQLException {
        Connection connection = factory.connect();
        try {
            // Notifications only arrive outside a transaction.
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            // Bounds every round trip from now on; a read for notifications sets its own, shorter, timeout.
            try {
                connection.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, settings.livenessTimeout().toMillis()));
            }
            catch (SQLFeatureNotSupportedException ex) {
                logger.warn("The listener connection from " + factory.description() + " takes no network timeout, so "
                        + "pg.broadcaster.liveness.timeout cannot bound its round trips; use a PostgreSQL JDBC connection");
            }
            String probeChannel = PROBE_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            Set<String> sourceChannels = (source != null) ? Set.copyOf(source.channels(connection)) : Set.of();
            List<String> listened = new ArrayList<>(channels);
            listened.addAll(sourceChannels);
            listened.add(probeChannel);
            String server = ConnectionFailures.server(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute(listened.stream()
                    .map((name) -> "LISTEN " + Identifiers.quote(name))
                    .collect(Collectors.joining("; ")));
            }
            catch (SQLException ex) {
                throw ConnectionFailures.STANDBY.equals(ex.getSQLState()) ? ConnectionFailures.standby(server, ex) : ex;
            }
            ListenerConnection opened = new ListenerConnection(connection, server, factory, probeChannel, sourceChannels,
                    settings, checked, queueUsage);
            // So that health shows it as soon as the listener listens.
            opened.readQueueUsage(System.nanoTime());
            return opened;
        }
        catch (SQLException | RuntimeException ex) {
            abort(connection);
            throw ex;
        }
    }

    String server() {
        return this.server;
    }

    /**
     * Returns the JDBC connection, for the replay source's reads on the listener thread.
     */
    Connection jdbc() {
        return this.connection;
    }

    /**
     * Returns whether {@code channel} is one of the replay source's.
     */
    boolean isSourceChannel(String channel) {
        return this.sourceChannels.contains(channel);
    }

    /**
     * Waits a short while for notifications and returns those for the application, never the probe.
     */
    List<PGNotification> receive() throws SQLException {
        PGNotification[] received = this.notifications.getNotifications(POLL_MILLIS);
        if (received == null || received.length == 0) {
            return List.of();
        }
        this.lastHeardFrom = System.nanoTime();
        List<PGNotification> forApplication = new ArrayList<>(received.length);
        for (PGNotification notification : received) {
            if (this.probeChannel.equals(notification.getName())) {
                probeCameBack();
            }
            else {
                forApplication.add(notification);
            }
        }
        return forApplication;
    }

    /**
     * Returns the notifications the driver read before the connection failed but had not handed over: they come
     * in the same read as the server's last words (for example "terminating connection due to administrator
     * command"), and are as good as any other. Reads nothing from the network.
     */
    List<PGNotification> receivedBeforeFailure() {
        try {
            // The driver keeps them in its query executor; only its internal API hands them over without a read.
            PGNotification[] received = this.connection.unwrap(BaseConnection.class).getQueryExecutor().getNotifications();
            List<PGNotification> forApplication = new ArrayList<>(received.length);
            for (PGNotification notification : received) {
                if (!this.probeChannel.equals(notification.getName())) {
                    forApplication.add(notification);
                }
            }
            return forApplication;
        }
        catch (SQLException | RuntimeException ex) {
            logger.debug("Could not take the notifications read before the listener connection failed", ex);
            return List.of();
        }
    }

    /**
     * Sends the probe, settles it, and checks the connection when it has been idle for the liveness interval; reads
     * the server's notification queue usage once every liveness interval, which, when idle, is the check.
     * @throws SQLException if the connection is dead
     */
    void maintain() throws SQLException {
        long now = System.nanoTime();
        switch (this.probe) {
            case NOT_SENT -> sendProbe(now);
            case SENDING -> probeSending(now);
            case SENT -> {
                if (now - this.probeDeadline >= 0) {
                    probeMissing();
                }
            }
            case CAME_BACK -> {
                probe(Probe.SETTLED);
                execute("UNLISTEN " + Identifiers.quote(this.probeChannel));
            }
            default -> {
            }
        }
        if (this.queueUsageUnreadable == null && now - this.queueUsageReadAt >= this.livenessIntervalNanos) {
            readQueueUsage(now);
        }
        else if (now - this.lastHeardFrom >= this.livenessIntervalNanos) {
            validate();
        }
    }

    // A round trip like the liveness check's, which tells as well how full the server's notification queue is.
    private void readQueueUsage(long now) throws SQLException {
        this.queueUsageReadAt = now;
        double usage;
        try (Statement statement = this.connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT pg_notification_queue_usage()")) {
            result.next();
            usage = result.getDouble(1);
        }
        catch (SQLException ex) {
            String state = (ex.getSQLState() != null) ? ex.getSQLState() : "";
            if (state.isEmpty() || state.startsWith("08") || this.connection.isClosed()) {
                throw livenessFailure(ex);
            }
            // The server refused the query (a role without the right to call it, a server that is not PostgreSQL):
            // the connection is fine, and is checked as before.
            this.queueUsageUnreadable = Redaction.message(ex);
            logger.warn("Cannot read pg_notification_queue_usage() on the listener connection to " + this.description
                    + " (" + this.queueUsageUnreadable + "), so how full the server's notification queue is stays "
                    + "unknown; listening goes on");
            validate();
            return;
        }
        this.lastHeardFrom = System.nanoTime();
        this.queueUsage.accept(usage);
    }

    private void probe(Probe next) {
        BroadcasterStatistics.DeliveryCheck before = deliveryCheck();
        this.probe = next;
        BroadcasterStatistics.DeliveryCheck after = deliveryCheck();
        if (after != before) {
            this.checked.accept(after);
        }
    }

    /**
     * Returns where the delivery check of this connection stands.
     */
    BroadcasterStatistics.DeliveryCheck deliveryCheck() {
        return switch (this.probe) {
            case NOT_SENT, SENDING, SENT -> BroadcasterStatistics.DeliveryCheck.PENDING;
            case CAME_BACK, SETTLED -> BroadcasterStatistics.DeliveryCheck.PASSED;
            case MISSING -> BroadcasterStatistics.DeliveryCheck.FAILED;
            case NOT_RUN -> BroadcasterStatistics.DeliveryCheck.NOT_RUN;
        };
    }

    // Opening a connection can block for as long as the server takes to answer, so it runs on a thread of its own
    // and the listener thread goes on reading meanwhile; that thread ends once its connection is closed.
    private void sendProbe(long now) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, this.livenessTimeout.toMillis());
        Thread thread = new Thread(() -> {
            try (Connection sender = this.factory.connect()) {
                try {
                    sender.setNetworkTimeout(Runnable::run, timeoutMillis);
                }
                catch (SQLFeatureNotSupportedException ex) {
                    // The factory's own timeouts bound it; the listener gives up waiting in any case.
                }
                if (!sender.getAutoCommit()) {
                    sender.setAutoCommit(true);
                }
                try (PreparedStatement statement = sender.prepareStatement("SELECT pg_notify(?, '')")) {
                    statement.setString(1, this.probeChannel);
                    statement.execute();
                }
                sent.complete(null);
            }
            catch (Throwable ex) {
                sent.completeExceptionally(ex);
            }
        }, "pg-broadcaster-delivery-check");
        thread.setDaemon(true);
        this.probeSent = sent;
        probe(Probe.SENDING);
        this.probeDeadline = now + this.livenessTimeout.toNanos() + PROBE_SEND_FLOOR.toNanos();
        this.probeSender = thread;
        thread.start();
    }

    private void probeSending(long now) {
        CompletableFuture<Void> sent = this.probeSent;
        if (!sent.isDone()) {
            if (now - this.probeDeadline >= 0) {
                sent.cancel(false);
                probeNotRun("opening a connection to " + this.description + " and sending on it took longer than "
                        + DurationText.of(Duration.ofNanos(this.livenessTimeout.toNanos() + PROBE_SEND_FLOOR.toNanos())));
            }
            return;
        }
        try {
            sent.get();
            probe(Probe.SENT);
            this.probeDeadline = System.nanoTime() + this.livenessTimeout.toNanos();
        }
        catch (ExecutionException ex) {
            probeNotRun("the probe notification could not be sent from another connection to " + this.description
                    + " (" + Redaction.message(ex.getCause()) + ")");
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private void probeNotRun(String why) {
        probe(Probe.NOT_RUN);
        logger.warn("The delivery check of the listener connection to " + this.description + " could not run: " + why
                + ". Listening goes on, but whether notifications reach it is not known.");
    }

    private void probeMissing() {
        logger.warn("Notifications do not come back on the listener connection to " + this.description
                + ": pg-broadcaster sent a notification on a private channel from another connection right after "
                + "LISTEN, and it did not arrive within " + DurationText.of(this.livenessTimeout)
                + " (pg.broadcaster.liveness.timeout). The likely cause is a connection pooler in transaction pooling "
                + "mode, such as PgBouncer with pool_mode=transaction, where LISTEN does not work and no notification "
                + "will ever arrive. Point pg.broadcaster.url at PostgreSQL directly (or at a pool in session mode).");
        // Still listening on the probe channel, so that a late arrival is noticed and the check passes after all.
        probe(Probe.MISSING);
    }

    private void probeCameBack() {
        Probe before = this.probe;
        if (before == Probe.CAME_BACK || before == Probe.SETTLED) {
            return;
        }
        probe(Probe.CAME_BACK);
        if (before == Probe.MISSING) {
            logger.info("The probe notification on the listener connection to " + this.description
                    + " arrived after all, later than pg.broadcaster.liveness.timeout (" + DurationText.of(this.livenessTimeout)
                    + "): notifications reach it");
        }
    }

    private void validate() throws SQLException {
        try {
            execute("SELECT 1");
        }
        catch (SQLException ex) {
            throw livenessFailure(ex);
        }
    }

    private SQLException livenessFailure(SQLException ex) {
        return new SQLException("The listener connection failed a liveness check (no answer to a round trip "
                + "within pg.broadcaster.liveness.timeout=" + DurationText.of(this.livenessTimeout) + "): "
                + Redaction.message(ex), "08006", ex);
    }

    private void execute(String sql) throws SQLException {
        try (Statement statement = this.connection.createStatement()) {
            statement.execute(sql);
        }
        this.lastHeardFrom = System.nanoTime();
    }

    /**
     * Stops listening and closes the connection; on a dead connection this takes at most the liveness timeout.
     */
    void close() {
        awaitProbeSender();
        try {
            execute("UNLISTEN *");
        }
        catch (SQLException ex) {
            logger.debug("UNLISTEN failed while stopping; closing the connection anyway", ex);
        }
        try {
            this.connection.close();
        }
        catch (SQLException ex) {
            logger.debug("Could not close the listener connection", ex);
        }
    }

    // The sender ends by itself once its connection is closed; waiting a moment for it means that closing leaves no
    // thread behind in the usual case, where it has long finished or is about to.
    private void awaitProbeSender() {
        Thread sender = this.probeSender;
        if (sender != null && sender.isAlive()) {
            try {
                sender.join(PROBE_SENDER_GRACE.toMillis());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Drops the connection at once, without a round trip; safe from any thread, and it breaks a read or a round
     * trip in progress on the listener thread.
     */
    void abort() {
        abort(this.connection);
    }

    private static void abort(Connection connection) {
        try {
            connection.abort(Runnable::run);
        }
        catch (SQLException | RuntimeException ex) {
            logger.debug("Could not abort the listener connection", ex);
        }
    }

    private enum Probe {

        NOT_SENT, SENDING, SENT, CAME_BACK, MISSING, NOT_RUN, SETTLED

    }

}
