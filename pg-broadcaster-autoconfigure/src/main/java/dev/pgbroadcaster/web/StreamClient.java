package dev.pgbroadcaster.web;

import java.io.IOException;
import java.security.Principal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.Notification.JournalPosition;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * One client of the hub: its filter and principal, its bounded buffer, which the dispatch thread only offers to, and
 * its writer thread, which takes from the buffer and writes to the client, and writes a heartbeat when nothing came
 * for the interval. A client that does not keep up loses events (counted and told with a {@code gap} event once
 * there is room again) or its stream, as the policy says; it never holds up the dispatch thread or another client.
 */
final class StreamClient implements Runnable {

    private static final Log logger = LogFactory.getLog(StreamClient.class);

    /** Most queued events written to the client at once. */
    private static final int WRITE_BATCH = 64;

    /** How long the writer waits, once woken, for more events to write with the first, per 100 clients. */
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** The longest a writer waits so. */
    private static final long MAX_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** A marker in the buffer: tell the client to reload, the listener having reconnected. */
    private static final Object LISTENER_RECONNECTED = new Object();

    private final int number;

    private final Principal principal;

    private final ClientFilter filter;

    private final ArrayBlockingQueue<Object> buffer;

    private final EventStreamOverflow overflow;

    private final long heartbeatNanos;

    private final StreamOutput output;

    private final EventStreamHub hub;

    // Guards what was dropped and not yet told, so that the gap (or resync) event takes the place of what was lost:
    // after everything queued before it, before everything queued after it.
    private final ReentrantLock pendingLock = new ReentrantLock();

    private long pendingDropped;

    private boolean pendingResync;

    /** Whether {@link #pendingDropped} or {@link #pendingResync} is set; read without the lock by the producer. */
    private volatile boolean pending;

    private final AtomicReference<DisconnectReason> ended = new AtomicReference<>();

    private volatile Thread writer;

    /** The position the client came back with, whose backlog the writer sends first, or {@code null}. */
    private JournalPosition resumeFrom;

    StreamClient(int number, Principal principal, ClientFilter filter, EventStreamSettings settings, StreamOutput output,
            EventStreamHub hub) {
        this.number = number;
        this.principal = principal;
        this.filter = filter;
        this.buffer = new ArrayBlockingQueue<>(settings.bufferSize());
        this.overflow = settings.overflow();
        this.heartbeatNanos = settings.heartbeat().toNanos();
        this.output = output;
        this.hub = hub;
    }

    Principal principal() {
        return this.principal;
    }

    ClientFilter filter() {
        return this.filter;
    }

    void startWriter(Thread thread) {
        this.writer = thread;
        thread.start();
    }

    Thread writer() {
        return this.writer;
    }

    /**
     * Queues the resync event a client that came back with {@code Last-Event-ID} gets first.
     */
    void resyncFirst() {
        this.buffer.offer(SseText.RESYNC_RECONNECTED);
    }

    /**
     * Has the writer send, before anything queued, what the journal holds after {@code position}, where the client
     * came back from. Called before the writer starts.
     */
    void resumeFrom(JournalPosition position) {
        this.resumeFrom = position;
    }

    /**
     * Queues a notice (the listener's connection lost or back) if there is room; when there is not, the gap or
     * resync that follows tells the client more.
     */
    void offerNotice(String notice) {
        this.pendingLock.lock();
        try {
            if (this.ended.get() == null && queuePending()) {
                this.buffer.offer(notice);
            }
        }
        finally {
            this.pendingLock.unlock();
        }
    }

    /**
     * Queues a notification, rendered, or drops it as the policy says; never waits. Called by the hub's fan-out
     * thread, the buffer's only producer once the writer runs: while nothing is pending, it needs no lock of its own.
     */
    void offer(Rendered notification) {
        if (!this.pending && this.buffer.offer(notification)) {
            return;
        }
        offerItem(notification);
    }

    /**
     * Tells the client, with a gap, that {@code count} notifications were lost before they reached it.
     */
    void lost(long count) {
        this.pendingLock.lock();
        try {
            if (this.ended.get() == null && this.overflow == EventStreamOverflow.GAP) {
                this.pendingDropped += count;
                this.pending = true;
                queuePending();
            }
        }
        finally {
            this.pendingLock.unlock();
        }
        if (this.overflow == EventStreamOverflow.DISCONNECT) {
            end(DisconnectReason.SLOW);
        }
    }

    /**
     * Returns the event of a notification, as every client that gets it is sent it.
     */
    static Rendered render(Notification notification) {
        JournalPosition position = notification.position();
        return new Rendered(notification, SseText.event(notification.channel(),
                (position != null) ? position.toString() : null, notification.raw().payload()));
    }

    /**
     * Queues the resync event that tells the client to reload; when the buffer is full it goes out as soon as there
     * is room.
     */
    void offerListenerReconnected() {
        offerItem(LISTENER_RECONNECTED);
    }

    private void offerItem(Object item) {
        boolean full;
        this.pendingLock.lock();
        try {
            if (this.ended.get() != null) {
                return;
            }
            full = !queuePending() || !this.buffer.offer(item);
            if (full && this.overflow == EventStreamOverflow.GAP) {
                if (item == LISTENER_RECONNECTED) {
                    this.pendingResync = true;
                }
                else {
                    this.pendingDropped++;
                }
                this.pending = true;
            }
        }
        finally {
            this.pendingLock.unlock();
        }
        if (full && item != LISTENER_RECONNECTED) {
            this.hub.droppedFor(this);
        }
        if (full && this.overflow == EventStreamOverflow.DISCONNECT) {
            end(DisconnectReason.SLOW);
        }
    }

    // Under pendingLock: queues what was dropped and not told yet; false when there is no room for it.
    private boolean queuePending() {
        if (this.pendingResync) {
            if (!this.buffer.offer(SseText.RESYNC_LISTENER_RECONNECTED)) {
                return false;
            }
            this.pendingResync = false;
        }
        if (this.pendingDropped > 0) {
            if (!this.buffer.offer(SseText.gap(this.pendingDropped))) {
                return false;
            }
            this.pendingDropped = 0;
        }
        this.pending = false;
        return true;
    }

    // Called by the writer once its buffer is empty: room has come back, so what was dropped is told now.
    private boolean queuePendingIntoEmptyBuffer() {
        this.pendingLock.lock();
        try {
            boolean any = this.pendingResync || this.pendingDropped > 0;
            queuePending();
            return any;
        }
        finally {
            this.pendingLock.unlock();
        }
    }

    /**
     * Ends the stream, once, for {@code reason}; does not wait for the writer, which closes the output when its
     * current write returns.
     */
    void end(DisconnectReason reason) {
        if (this.ended.compareAndSet(null, reason)) {
            this.hub.ended(this, reason);
            Thread thread = this.writer;
            if (thread != null && thread != Thread.currentThread()) {
                thread.interrupt();
            }
        }
    }

    boolean hasEnded() {
        return this.ended.get() != null;
    }

    @Override
    public void run() {
        try {
            Set<Long> resumed = Set.of();
            if (this.resumeFrom == null) {
                this.output.write(SseText.OPENED + startingId());
            }
            else {
                this.output.write(SseText.OPENED);
                if (this.ended.get() == null) {
                    resumed = resume();
                }
            }
            List<Object> batch = new ArrayList<>(WRITE_BATCH);
            StringBuilder text = new StringBuilder();
            while (this.ended.get() == null) {
                Object item = this.buffer.poll(this.heartbeatNanos, TimeUnit.NANOSECONDS);
                if (this.ended.get() != null) {
                    break;
                }
                if (item == null) {
                    if (!queuePendingIntoEmptyBuffer()) {
                        this.output.write(SseText.HEARTBEAT);
                    }
                    continue;
                }
                // What has queued up meanwhile goes out in one write; a moment's wait lets more queue up, which spares
                // a wake-up and a write per event when they come often: 5 ms per 100 clients, so that the writers
                // together wake about as often however many they are (a page does not see the difference).
                if (this.buffer.size() < WRITE_BATCH - 1) {
                    LockSupport.parkNanos(linger(this.hub.clients()));
                }
                batch.add(item);
                this.buffer.drainTo(batch, WRITE_BATCH - 1);
                for (Object queued : batch) {
                    if (!resumed.isEmpty() && queued instanceof Rendered rendered && rendered.id() >= 0
                            && resumed.contains(rendered.id())) {
                        // Queued live while its row was read for the backlog, and sent from there.
                        continue;
                    }
                    text.append(text(queued));
                }
                batch.clear();
                if (!text.isEmpty()) {
                    this.output.write(text.toString());
                    text.setLength(0);
                }
                if (this.buffer.isEmpty()) {
                    queuePendingIntoEmptyBuffer();
                }
            }
        }
        catch (InterruptedException ex) {
            // Ended by the hub: the stream is closed below.
        }
        catch (IOException | RuntimeException ex) {
            if (logger.isDebugEnabled()) {
                logger.debug("Event stream client " + this.number + " has gone: " + ex);
            }
        }
        finally {
            // A no-op when the hub ended it; otherwise a write failed: the client has gone.
            end(DisconnectReason.GONE);
            // Cleared, so that closing the response is not cut short by an interrupt meant for the loop.
            Thread.interrupted();
            this.output.close();
        }
    }

    static long linger(int clients) {
        return Math.min(MAX_LINGER_NANOS, LINGER_NANOS * Math.max(1, clients / 100));
    }

    // Gives the stream an id before any event, so that a browser that reconnects sends one back.
    private String startingId() {
        String id = this.hub.startingId();
        return (id != null) ? SseText.id(id) : "";
    }

    /**
     * Sends what the journal holds after the position the client came back with, as the filter and the
     * authorization let through, and returns the ids of the rows read, whose live copies are not sent again. When
     * the journal cannot give all of it, tells the client to resync instead.
     */
    private Set<Long> resume() throws IOException {
        List<Notification> backlog;
        try {
            backlog = this.hub.changesAfter(this, this.resumeFrom);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Set.of();
        }
        catch (Exception ex) {
            this.hub.journalUnreadable(this, ex);
            this.output.write(SseText.RESYNC_JOURNAL_UNREADABLE + startingId());
            return Set.of();
        }
        if (backlog == null) {
            this.output.write(SseText.RESYNC_NOT_IN_JOURNAL + startingId());
            return Set.of();
        }
        Set<Long> ids = new HashSet<>(backlog.size() * 2);
        StringBuilder text = new StringBuilder();
        int events = 0;
        for (Notification notification : backlog) {
            ids.add(notification.position().id());
            if (this.filter.matches(notification) && this.hub.maySee(this, notification)) {
                text.append(render(notification).text());
                // In writes of up to a batch, as the live events go.
                if (++events % WRITE_BATCH == 0) {
                    this.output.write(text.toString());
                    text.setLength(0);
                }
            }
        }
        if (!text.isEmpty()) {
            this.output.write(text.toString());
        }
        return ids;
    }

    private static String text(Object item) {
        if (item instanceof Rendered rendered) {
            return rendered.text();
        }
        if (item == LISTENER_RECONNECTED) {
            return SseText.RESYNC_LISTENER_RECONNECTED;
        }
        return (String) item;
    }

    @Override
    public String toString() {
        return "event stream client " + this.number;
    }

    /**
     * A notification and its event's text, rendered once for every client that gets it.
     *
     * @param notification the notification
     * @param text its event
     */
    record Rendered(Notification notification, String text) {

        /** Returns its journal row's id, or -1 when it did not come from the journal. */
        long id() {
            JournalPosition position = this.notification.position();
            return (position != null) ? position.id() : -1;
        }

    }

}
