package dev.pgbroadcaster;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of what the broadcaster received and did with it since the application started, and the
 * state of its listener connection. It keeps them as one {@link BroadcasterObserver} among the others.
 */
public final class BroadcasterStatistics implements BroadcasterObserver {

    private volatile Instant connectedSince;

    private volatile DeliveryCheck deliveryCheck = DeliveryCheck.NOT_RUN;

    private volatile String lastConnectionFailure;

    private volatile long lastNotificationMillis;

    private final LongAdder reconnects = new LongAdder();

    private final LongAdder received = new LongAdder();

    private final LongAdder invalid = new LongAdder();

    private final LongAdder published = new LongAdder();

    private final LongAdder dropped = new LongAdder();

    private final LongAdder listenerErrors = new LongAdder();

    private final LongAdder subscriberDelivered = new LongAdder();

    private final LongAdder subscriberDropped = new LongAdder();

    private final LongAdder subscriberErrors = new LongAdder();

    private final LongAdder undelivered = new LongAdder();

    private final LongAdder replayed = new LongAdder();

    private final LongAdder caughtUp = new LongAdder();

    private final LongAdder catchUps = new LongAdder();

    private final LongAdder journalCleaned = new LongAdder();

    private volatile Journal journal;

    private volatile NotificationQueue notificationQueue;

    /** {@return how many notifications were read from the listener connection, valid or not} */
    public long received() {
        return this.received.sum();
    }

    /** {@return how many notifications had a payload that could not be decoded, and were therefore dropped} */
    public long invalid() {
        return this.invalid.sum();
    }

    /** {@return how many notifications were published as application events} */
    public long published() {
        return this.published.sum();
    }

    /** {@return how many notifications were dropped because the dispatch queue was full} */
    public long dropped() {
        return this.dropped.sum();
    }

    /** {@return how many exceptions application event listeners threw while handling a notification} */
    public long listenerErrors() {
        return this.listenerErrors.sum();
    }

    /** {@return how many notifications were handed to subscriber callbacks, counted once per subscriber} */
    public long subscriberDelivered() {
        return this.subscriberDelivered.sum();
    }

    /**
     * {@return how many notifications were dropped because a subscriber's queue was full, counted once per
     * subscriber}
     */
    public long subscriberDropped() {
        return this.subscriberDropped.sum();
    }

    /** {@return how many exceptions subscriber callbacks threw} */
    public long subscriberErrors() {
        return this.subscriberErrors.sum();
    }

    /**
     * {@return how many notifications were still queued, for listeners or subscribers, when a shutdown ran out of
     * time}
     */
    public long undelivered() {
        return this.undelivered.sum();
    }

    /** {@return whether the listener connection is up and LISTENing} */
    public boolean connected() {
        return this.connectedSince != null;
    }

    /** {@return when the listener connection last came up, or {@code null} while it is down} */
    public Instant connectedSince() {
        return this.connectedSince;
    }

    /**
     * {@return the state of the delivery check of the listener connection that is up now, or
     * {@link DeliveryCheck#NOT_RUN} while none is} Each connection checks, right after LISTEN, that a notification
     * sent from another connection reaches it.
     */
    public DeliveryCheck deliveryCheck() {
        return this.deliveryCheck;
    }

    /**
     * {@return whether the listener connection is up and notifications can reach it: connected, and its delivery
     * check has not failed}
     */
    public boolean receiving() {
        return connected() && deliveryCheck() != DeliveryCheck.FAILED;
    }

    /**
     * {@return why the listener connection last failed (could not be made, or was lost), or {@code null} if it never
     * did} Its text carries no password.
     */
    public String lastConnectionFailure() {
        return this.lastConnectionFailure;
    }

    /** {@return how many times the listener connection came back after it was lost} */
    public long reconnects() {
        return this.reconnects.sum();
    }

    /** {@return when the last notification was read, or {@code null} if none has been} */
    public Instant lastNotificationAt() {
        long millis = this.lastNotificationMillis;
        return (millis != 0) ? Instant.ofEpochMilli(millis) : null;
    }

    @Override
    public void connected(boolean reconnect) {
        if (reconnect) {
            this.reconnects.increment();
        }
        this.deliveryCheck = DeliveryCheck.PENDING;
        this.connectedSince = Instant.now();
    }

    @Override
    public void deliveryChecked(DeliveryCheck check) {
        if (this.connectedSince != null) {
            this.deliveryCheck = check;
        }
    }

    @Override
    public void connectionFailed(Throwable cause) {
        this.lastConnectionFailure = (cause.getMessage() != null) ? cause.getMessage() : cause.getClass().getName();
    }

    @Override
    public void disconnected() {
        this.connectedSince = null;
        this.deliveryCheck = DeliveryCheck.NOT_RUN;
    }

    /**
     * {@return the server's notification queue as last read on the listener connection, or {@code null} before the
     * first reading}
     */
    public NotificationQueue notificationQueue() {
        return this.notificationQueue;
    }

    @Override
    public void notificationQueueUsage(double usage) {
        this.notificationQueue = new NotificationQueue(usage, Instant.now());
    }

    @Override
    public void received(String channel) {
        this.received.increment();
        this.lastNotificationMillis = System.currentTimeMillis();
    }

    @Override
    public void invalid(String channel) {
        this.invalid.increment();
    }

    @Override
    public void delivered(String channel, long latencyNanos) {
        this.published.increment();
    }

    @Override
    public void dropped(String channel, DropReason reason) {
        switch (reason) {
            case DISPATCH_QUEUE_FULL -> this.dropped.increment();
            case SUBSCRIBER_QUEUE_FULL -> this.subscriberDropped.increment();
            case SHUTDOWN -> this.undelivered.increment();
        }
    }

    @Override
    public void listenerFailed() {
        this.listenerErrors.increment();
    }

    @Override
    public void subscriberDelivered(String channel) {
        this.subscriberDelivered.increment();
    }

    @Override
    public void subscriberFailed(String channel) {
        this.subscriberErrors.increment();
    }

    /**
     * {@return with the journal, how many changes were replayed after reconnects} They are counted in
     * {@link #received()} too.
     */
    public long replayed() {
        return this.replayed.sum();
    }

    /** {@return with the journal, how many changes the periodic catch-up found that no notification had brought} */
    public long caughtUp() {
        return this.caughtUp.sum();
    }

    /** {@return with the journal, how many periodic catch-ups ran} */
    public long catchUps() {
        return this.catchUps.sum();
    }

    /**
     * {@return with the journal, how many rows this instance deleted because they were older than the retention}
     */
    public long journalCleaned() {
        return this.journalCleaned.sum();
    }

    /**
     * {@return where reading the journal stands, or {@code null} when the journal is off or has not been read yet}
     */
    public Journal journal() {
        return this.journal;
    }

    @Override
    public void replayed(long rows, boolean complete) {
        this.replayed.add(rows);
        Journal before = this.journal;
        this.journal = new Journal(Instant.now(), rows, complete, (before != null) ? before.horizonAge() : Duration.ZERO,
                (before != null) ? before.rowsBehind() : 0);
    }

    @Override
    public void caughtUp(long rows, Duration horizonAge) {
        this.catchUps.increment();
        this.caughtUp.add(rows);
        Journal before = this.journal;
        if (before != null) {
            this.journal = new Journal(before.lastReplayAt(), before.lastReplayRows(), before.lastReplayComplete(),
                    horizonAge, rows);
        }
    }

    @Override
    public void journalCleaned(long rows) {
        this.journalCleaned.add(rows);
    }

    @Override
    public String toString() {
        return "connected=" + connected() + ", deliveryCheck=" + deliveryCheck() + ", reconnects=" + reconnects() + ", received=" + received() + ", invalid=" + invalid() + ", published=" + published() + ", dropped="
                + dropped() + ", listenerErrors=" + listenerErrors() + ", subscriberDelivered=" + subscriberDelivered()
                + ", subscriberDropped=" + subscriberDropped() + ", subscriberErrors=" + subscriberErrors()
                + ", undelivered=" + undelivered()
                + ((this.journal != null) ? ", replayed=" + replayed() + ", caughtUp=" + caughtUp() : "");
    }

    /**
     * Where reading the journal stands.
     *
     * @param lastReplayAt when the last connection read what it had missed
     * @param lastReplayRows how many changes that replay handed over
     * @param lastReplayComplete whether it reached back to everything missed
     * @param horizonAge at the last catch-up, how long the oldest transaction then open had been seen open by the
     * catch-ups (zero when none was): a transaction that stays open holds back what the journal can call settled
     * @param rowsBehind how many changes the last catch-up found that no notification had brought
     */
    public record Journal(Instant lastReplayAt, long lastReplayRows, boolean lastReplayComplete, Duration horizonAge,
            long rowsBehind) {

    }

    /**
     * The server's notification queue, as the listener connection last read it.
     *
     * @param usage {@code pg_notification_queue_usage()}: the fraction, 0 to 1, of the queue taken by notifications
     * that some session listening on the server has not read yet; 0 on a server whose listeners keep up. Its tail
     * waits for the slowest listener of the whole server, and when it is full every NOTIFY fails at commit.
     * @param readAt when it was read
     */
    public record NotificationQueue(double usage, Instant readAt) {

    }

    /**
     * Whether notifications reach a listener connection, as its delivery check found: right after LISTEN the listener
     * sends a notification on a private channel from another connection and waits, at most
     * {@code pg.broadcaster.liveness.timeout}, for it to arrive.
     */
    public enum DeliveryCheck {

        /** The probe notification has not been sent yet, or has not arrived and there is still time. */
        PENDING,

        /** The probe notification arrived: notifications reach the listener. */
        PASSED,

        /**
         * The probe notification did not arrive in time, so none will: the likely cause is a connection pooler in
         * transaction pooling mode between the listener and PostgreSQL. A late arrival turns it to {@link #PASSED}.
         */
        FAILED,

        /** The probe could not be sent (the other connection could not be opened, or the send failed). */
        NOT_RUN

    }

}
