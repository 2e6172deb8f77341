package dev.pgbroadcaster.web;

import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.EventStreamAuthorization;
import dev.pgbroadcaster.dispatch.LaneThreads;
import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.Notification.JournalPosition;
import dev.pgbroadcaster.dispatch.NotificationSink;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.Redaction;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.core.task.VirtualThreadTaskExecutor;

/**
 * The clients of the server-sent events endpoint, whatever web framework opened their streams. As a sink of the
 * dispatcher it takes each delivered notification on a streamed channel and hands it to its fan-out thread, which
 * queues it, rendered once, for every client whose filter and authorization let it through; each client's writer
 * thread does the rest. With the journal each event has its
 * position as its id, and a client that comes back with it gets what it missed from the journal first. Every
 * client hears when the listener lost its connection ({@code reconnecting}) and when it came back: {@code live}
 * when nothing was missed, {@code resync} when notifications may have been. Stopped before the broadcaster, it
 * ends every stream.
 */
public final class EventStreamHub implements NotificationSink, SmartLifecycle {

    private static final Log logger = LogFactory.getLog(EventStreamHub.class);

    /** Platform writer threads mostly wait and write one response; they need little stack. */
    private static final long PLATFORM_STACK_SIZE = 256 * 1024;

    /** How long stopping waits for the writers to close their streams. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final EventStreamSettings settings;

    private final EventStreamAuthorization authorization;

    /** Where a client that comes back finds what it missed, or {@code null} without the journal. */
    private final EventStreamJournal journal;

    /** The position of the last change from the journal that the dispatcher handed over, or {@code null}. */
    private volatile JournalPosition lastPosition;

    private final ThrottledWarning journalWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final List<StreamClient> clients = new CopyOnWriteArrayList<>();

    private final AtomicInteger admitted = new AtomicInteger();

    private final AtomicInteger numbers = new AtomicInteger();

    private final ThreadFactory threads;

    private final LongAdder dropped = new LongAdder();

    private final Map<DisconnectReason, LongAdder> disconnects = new EnumMap<>(DisconnectReason.class);

    private final ThrottledWarning authorizationWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final ThrottledWarning dropWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private final ThrottledWarning fanOutWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    /** How many items the dispatch thread may queue for the fan-out thread. */
    static final int FAN_OUT_CAPACITY = 10_000;

    /** Most items the fan-out thread takes at a time. */
    private static final int FAN_OUT_BATCH = 256;

    /**
     * What the dispatch thread hands to the fan-out thread, which offers it to each client: the dispatch thread (and
     * so the application's listeners) never waits for the clients, however many there are.
     */
    private final ArrayBlockingQueue<Object> fanOut = new ArrayBlockingQueue<>(FAN_OUT_CAPACITY);

    /** Notifications dropped because {@link #fanOut} was full, not yet told to the clients. */
    private final AtomicLong fanOutDropped = new AtomicLong();

    /** Set when a resync found {@link #fanOut} full. */
    private volatile boolean fanOutResync;

    private volatile Thread fanOutThread;

    /** How many items the fan-out thread has handed to the clients, for tests. */
    private final AtomicLong fannedOut = new AtomicLong();

    private volatile boolean running;

    /**
     * @param settings the checked settings
     * @param authorization what each client may see, or {@code null} to let every client see everything streamed
     */
    public EventStreamHub(EventStreamSettings settings, EventStreamAuthorization authorization) {
        this(settings, authorization, null);
    }

    /**
     * @param settings the checked settings
     * @param authorization what each client may see, or {@code null} to let every client see everything streamed
     * @param journal where a client that comes back with {@code Last-Event-ID} finds what it missed, or {@code null}
     * without the journal: then such a client is told to resync
     */
    public EventStreamHub(EventStreamSettings settings, EventStreamAuthorization authorization,
            EventStreamJournal journal) {
        this.settings = settings;
        this.authorization = authorization;
        this.journal = journal;
        this.threads = threadFactory(settings.threads());
        for (DisconnectReason reason : DisconnectReason.values()) {
            this.disconnects.put(reason, new LongAdder());
        }
    }

    private static ThreadFactory threadFactory(LaneThreads kind) {
        String prefix = "pg-broadcaster-sse-";
        if (kind == LaneThreads.VIRTUAL) {
            ThreadFactory virtual = new VirtualThreadTaskExecutor(prefix).getVirtualThreadFactory();
            return virtual::newThread;
        }
        return (task) -> {
            Thread thread = new Thread(null, task, prefix, PLATFORM_STACK_SIZE);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Opens a stream for a request, or says why not, with the HTTP status to answer.
     * @param principal who made the request, or {@code null}
     * @param parameters the request's query parameters
     * @param lastEventId the request's {@code Last-Event-ID} header, or {@code null}: a browser that reconnects
     * sends it, and first gets what it missed from the journal or, without the journal, is told to resync
     * @param output where the client's events go; written by the client's own thread from now on
     */
    public Admission open(Principal principal, Map<String, List<String>> parameters, String lastEventId, StreamOutput output) {
        List<String> channels = parameters.getOrDefault("channel", List.of());
        for (String channel : channels) {
            if (!this.settings.channels().contains(channel)) {
                return Admission.refused(400, "Channel " + Identifiers.quote(channel) + " is not streamed: "
                        + "pg.broadcaster.web.channels lists " + this.settings.channels() + ".");
            }
        }
        if (!mayConnect(principal, parameters)) {
            return Admission.refused(403, "This event stream is not open to you.");
        }
        if (!this.running) {
            return Admission.refused(503, "The application is not streaming events (it is starting or stopping).");
        }
        if (this.admitted.incrementAndGet() > this.settings.maxClients()) {
            this.admitted.decrementAndGet();
            return Admission.refused(503, "This event stream has as many clients as it takes ("
                    + "pg.broadcaster.web.max-clients=" + this.settings.maxClients() + "); try again later.");
        }
        int number = this.numbers.incrementAndGet();
        StreamClient client = new StreamClient(number, principal, ClientFilter.of(channels,
                parameters.getOrDefault("table", List.of()), parameters.getOrDefault("action", List.of())),
                this.settings, output, this);
        JournalPosition resumeFrom = (lastEventId != null && this.journal != null)
                ? JournalPosition.parse(lastEventId.strip()) : null;
        if (resumeFrom != null) {
            client.resumeFrom(resumeFrom);
        }
        else if (lastEventId != null) {
            client.resyncFirst();
        }
        this.clients.add(client);
        Thread writer = this.threads.newThread(client);
        writer.setName("pg-broadcaster-sse-" + number);
        client.startWriter(writer);
        return Admission.opened(client);
    }

    private boolean mayConnect(Principal principal, Map<String, List<String>> parameters) {
        if (this.authorization == null) {
            return true;
        }
        try {
            return this.authorization.mayConnect(principal, parameters);
        }
        catch (RuntimeException ex) {
            this.authorizationWarning.warn(() -> "EventStreamAuthorization.mayConnect threw; the client is refused: " + ex, ex);
            return false;
        }
    }

    /**
     * Queues a notification on a streamed channel for the fan-out thread; never waits. When the fan-out cannot keep
     * up and its queue is full, the notification is dropped, and every client is told with a {@code gap}.
     */
    @Override
    public void delivered(Notification notification) {
        if (notification.position() != null) {
            this.lastPosition = notification.position();
        }
        if (!this.settings.channels().contains(notification.channel()) || this.clients.isEmpty()) {
            return;
        }
        if (!this.fanOut.offer(notification)) {
            this.fanOutDropped.incrementAndGet();
        }
    }

    /**
     * Queues a connection event for the fan-out thread, in order with the notifications. A resync that finds the
     * queue full is kept aside and goes out first; a notice is dropped, the resync or gap after it saying more.
     */
    @Override
    public void connectionEvent(Object event) {
        if (!this.fanOut.offer(event) && event instanceof BroadcasterConnectedEvent connected && !connected.complete()) {
            this.fanOutResync = true;
        }
    }

    // The fan-out thread: takes what the dispatch thread queued, a batch at a time, and offers each item to every
    // client whose filter and authorization let it through, its text written once for all of them.
    private void fanOut() {
        List<Object> batch = new ArrayList<>(FAN_OUT_BATCH);
        while (this.running) {
            try {
                Object first = this.fanOut.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    tellWhatTheFanOutLost();
                    continue;
                }
                batch.add(first);
                this.fanOut.drainTo(batch, FAN_OUT_BATCH - 1);
                tellWhatTheFanOutLost();
                for (Object item : batch) {
                    if (item instanceof Notification notification) {
                        fanOut(notification);
                    }
                    else {
                        fanOutConnectionEvent(item);
                    }
                    this.fannedOut.incrementAndGet();
                }
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
            catch (RuntimeException ex) {
                this.fanOutWarning.warn(() -> "The event stream's fan-out failed on an item, and goes on: " + ex, ex);
            }
            finally {
                batch.clear();
            }
        }
    }

    private void fanOut(Notification notification) {
        StreamClient.Rendered rendered = null;
        for (StreamClient client : this.clients) {
            if (client.filter().matches(notification) && maySee(client, notification)) {
                if (rendered == null) {
                    rendered = StreamClient.render(notification);
                }
                client.offer(rendered);
            }
        }
    }

    private void tellWhatTheFanOutLost() {
        if (this.fanOutResync) {
            this.fanOutResync = false;
            for (StreamClient client : this.clients) {
                client.offerListenerReconnected();
            }
        }
        long lost = this.fanOutDropped.getAndSet(0);
        if (lost > 0) {
            for (StreamClient client : this.clients) {
                client.lost(lost);
            }
            this.dropped.add(lost * this.clients.size());
            this.dropWarning.warn(() -> "The event stream's fan-out does not keep up with the notifications: " + lost
                    + " were dropped for every client, which is told with a gap event", null);
        }
    }

    boolean maySee(StreamClient client, Notification notification) {
        if (this.authorization == null) {
            return true;
        }
        try {
            return this.authorization.maySee(client.principal(), notification.raw(), notification.decoded());
        }
        catch (RuntimeException ex) {
            this.authorizationWarning.warn(() -> "EventStreamAuthorization.maySee threw; the notification is not sent "
                    + "to " + client + ": " + ex, ex);
            return false;
        }
    }

    private void fanOutConnectionEvent(Object event) {
        if (event instanceof BroadcasterConnectedEvent connected && !connected.complete()) {
            for (StreamClient client : this.clients) {
                client.offerListenerReconnected();
            }
        }
        else if (event instanceof BroadcasterConnectedEvent connected && connected.reconnect()) {
            for (StreamClient client : this.clients) {
                client.offerNotice(SseText.LIVE);
            }
        }
        else if (event instanceof BroadcasterDisconnectedEvent) {
            for (StreamClient client : this.clients) {
                client.offerNotice(SseText.RECONNECTING);
            }
        }
    }

    /**
     * Returns the id a stream starts with, which its browser sends back when it reconnects: with the journal, the
     * position of a client that has seen everything up to now (the last change handed over, or else the journal's
     * own), without it one that asks for a resync; {@code null} when the journal cannot be read.
     */
    String startingId() {
        if (this.journal == null) {
            return SseText.NO_POSITION;
        }
        JournalPosition last = this.lastPosition;
        if (last != null) {
            return last.toString();
        }
        try {
            return this.journal.positionNow().toString();
        }
        catch (Exception ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            this.journalWarning.warn(() -> "Could not read the journal's position for a new event stream client, so "
                    + "if it reconnects before its first event it is told to resync: " + Redaction.message(ex), null);
            return null;
        }
    }

    /**
     * Returns what {@code client} missed after {@code position} on the channels it streams, or {@code null} when
     * the journal cannot give all of it (too far back, or more than {@code pg.broadcaster.web.resume-limit}).
     * @throws Exception if the journal cannot be read
     */
    List<Notification> changesAfter(StreamClient client, JournalPosition position) throws Exception {
        Set<String> channels = client.filter().channels().isEmpty() ? this.settings.channels() : client.filter().channels();
        return this.journal.changesAfter(position, channels, this.settings.resumeLimit());
    }

    void journalUnreadable(StreamClient client, Exception ex) {
        this.journalWarning.warn(() -> "Could not read from the journal what " + client + " missed, so it is told to "
                + "resync: " + Redaction.message(ex), null);
    }

    void droppedFor(StreamClient client) {
        this.dropped.increment();
        this.dropWarning.warn(() -> "An event stream client does not keep up: its buffer (pg.broadcaster.web.buffer-size="
                + this.settings.bufferSize() + ") is full, so "
                + ((this.settings.overflow() == EventStreamOverflow.GAP)
                        ? "events are dropped for it and a gap event tells it how many"
                        : "its stream is closed")
                + " (pg.broadcaster.web.overflow=" + this.settings.overflow().name().toLowerCase(java.util.Locale.ROOT)
                + ")", null);
    }

    void ended(StreamClient client, DisconnectReason reason) {
        if (this.clients.remove(client)) {
            this.admitted.decrementAndGet();
            this.disconnects.get(reason).increment();
        }
    }

    /**
     * Returns how many notifications and connection events the fan-out thread has handed to the clients.
     */
    long fannedOut() {
        return this.fannedOut.get();
    }

    /**
     * Returns how many clients are connected.
     */
    public int clients() {
        return this.clients.size();
    }

    /**
     * Returns how many events were dropped, for all clients, because a client's buffer was full.
     */
    public long dropped() {
        return this.dropped.sum();
    }

    /**
     * Returns how many streams ended for {@code reason}.
     */
    public long disconnects(DisconnectReason reason) {
        return this.disconnects.get(reason).sum();
    }

    /**
     * Returns the details health shows: {@code webClients}, {@code webDropped} and {@code webDisconnects} by reason.
     */
    public Map<String, Object> healthDetails() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("webClients", clients());
        details.put("webDropped", dropped());
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (DisconnectReason reason : DisconnectReason.values()) {
            byReason.put(reason.tag(), disconnects(reason));
        }
        details.put("webDisconnects", byReason);
        return details;
    }

    @Override
    public void start() {
        this.running = true;
        Thread thread = new Thread(this::fanOut, "pg-broadcaster-sse-fanout");
        thread.setDaemon(true);
        this.fanOutThread = thread;
        thread.start();
    }

    /**
     * Ends every stream, waiting a little for the writers to close them.
     */
    @Override
    public void stop() {
        this.running = false;
        Thread fanOutThread = this.fanOutThread;
        if (fanOutThread != null) {
            fanOutThread.interrupt();
        }
        List<StreamClient> ending = new ArrayList<>(this.clients);
        for (StreamClient client : ending) {
            client.end(DisconnectReason.SHUTDOWN);
        }
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        int closed = 0;
        for (StreamClient client : ending) {
            Thread writer = client.writer();
            long left = deadline - System.nanoTime();
            if (writer != null && left > 0) {
                try {
                    writer.join(Math.max(1, left / 1_000_000));
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            closed += (writer == null || !writer.isAlive()) ? 1 : 0;
        }
        if (!ending.isEmpty()) {
            // A writer still blocked on a client that does not read lets go when its write times out.
            logger.info("pg-broadcaster closed " + closed + " of " + ending.size() + " event streams on shutdown"
                    + ((closed < ending.size()) ? "; the others close when their clients read or their writes time out" : ""));
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    /**
     * Returns the phase of the broadcaster, which the hub depends on and so stops before.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /**
     * Whether a request got a stream: when it did not, the status to answer and a short text that says why.
     *
     * @param status the HTTP status: 200 for an open stream, else 400, 403 or 503
     * @param message why it got none, or {@code null}
     * @param client the client, or {@code null}
     */
    public record Admission(int status, String message, Object client) {

        static Admission opened(StreamClient client) {
            return new Admission(200, null, client);
        }

        static Admission refused(int status, String message) {
            return new Admission(status, message, null);
        }

        /**
         * Returns whether the stream is open.
         */
        public boolean isOpen() {
            return this.client != null;
        }

        /**
         * Ends the stream because the framework saw the client go; does nothing when it had none.
         */
        public void clientGone() {
            if (this.client instanceof StreamClient open) {
                open.end(DisconnectReason.GONE);
            }
        }

    }

}
