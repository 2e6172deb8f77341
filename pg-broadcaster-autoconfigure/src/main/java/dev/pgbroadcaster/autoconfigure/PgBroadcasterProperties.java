package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.OverflowPolicy;
import dev.pgbroadcaster.web.EventStreamOverflow;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of pg-broadcaster.
 */
@ConfigurationProperties("pg.broadcaster")
public class PgBroadcasterProperties {

    /**
     * Whether to listen for notifications and publish them as application events.
     */
    private boolean enabled = true;

    /**
     * Channel to LISTEN on. Used as written, case and dots included (it is always quoted).
     */
    private String channel;

    /**
     * Channels to LISTEN on, in addition to 'channel'.
     */
    private List<String> channels = new ArrayList<>();

    /**
     * JDBC URL of the listener connection. Defaults to the application's datasource URL. Set it to reach
     * PostgreSQL directly when the application goes through a pooler such as PgBouncer.
     */
    private String url;

    /**
     * Login user of the listener connection. Defaults to the application's datasource user.
     */
    private String username;

    /**
     * Login password of the listener connection. Defaults to the application's datasource password.
     */
    private String password;

    /**
     * Name the listener connection shows as 'application_name' in pg_stat_activity.
     */
    private String applicationName = "pg-broadcaster";

    /**
     * How long closing the application may spend delivering the notifications still queued.
     */
    private Duration shutdownTimeout = Duration.ofSeconds(10);

    /**
     * Whether startup fails when the listener cannot connect and LISTEN. By default the application starts anyway
     * and the listener keeps trying in the background, with the reconnect back-off.
     */
    private boolean failFast = false;

    /**
     * Whether the listener connection reads through pg-broadcaster's low-latency socket, which spares each
     * wake-up the PostgreSQL driver's 1 ms wait. A 'socketFactory' named in the URL is kept regardless.
     */
    private boolean lowLatencySocket = true;

    private final Dispatch dispatch = new Dispatch();

    private final Reconnect reconnect = new Reconnect();

    private final Liveness liveness = new Liveness();

    private final Health health = new Health();

    private final Observation observation = new Observation();

    /**
     * Payload types of the channels whose payloads are not ChangeNotifications.
     */
    private List<PayloadType> payloadTypes = new ArrayList<>();

    private final Triggers triggers = new Triggers();

    private final Journal journal = new Journal();

    private final Web web = new Web();

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getChannel() {
        return this.channel;
    }

    public void setChannel(String channel) {
        this.channel = channel;
    }

    public List<String> getChannels() {
        return this.channels;
    }

    public void setChannels(List<String> channels) {
        this.channels = channels;
    }

    public String getUrl() {
        return this.url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public String getUsername() {
        return this.username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getPassword() {
        return this.password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getApplicationName() {
        return this.applicationName;
    }

    public void setApplicationName(String applicationName) {
        this.applicationName = applicationName;
    }

    public Duration getShutdownTimeout() {
        return this.shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public boolean isLowLatencySocket() {
        return this.lowLatencySocket;
    }

    public void setLowLatencySocket(boolean lowLatencySocket) {
        this.lowLatencySocket = lowLatencySocket;
    }

    public Dispatch getDispatch() {
        return this.dispatch;
    }

    public boolean isFailFast() {
        return this.failFast;
    }

    public void setFailFast(boolean failFast) {
        this.failFast = failFast;
    }

    public Reconnect getReconnect() {
        return this.reconnect;
    }

    public Liveness getLiveness() {
        return this.liveness;
    }

    public Health getHealth() {
        return this.health;
    }

    public Observation getObservation() {
        return this.observation;
    }

    public Triggers getTriggers() {
        return this.triggers;
    }

    public Journal getJournal() {
        return this.journal;
    }

    public Web getWeb() {
        return this.web;
    }

    public List<PayloadType> getPayloadTypes() {
        return this.payloadTypes;
    }

    public void setPayloadTypes(List<PayloadType> payloadTypes) {
        this.payloadTypes = payloadTypes;
    }

    /**
     * How the listener reconnects after it lost its connection, or could not open it at startup.
     */
    public static class Reconnect {

        /**
         * Wait before the first reconnect attempt.
         */
        private Duration initialDelay = Duration.ofMillis(500);

        /**
         * Longest wait between two reconnect attempts.
         */
        private Duration maxDelay = Duration.ofSeconds(30);

        /**
         * Factor by which the wait grows after each failed attempt.
         */
        private double multiplier = 2.0;

        /**
         * Fraction, from 0 to 1, by which each wait is shortened at random, so that instances that lost the same
         * server do not all reconnect at the same moment. 0 waits exactly the computed delay.
         */
        private double jitter = 0.5;

        /**
         * Reconnect attempts after which the listener gives up and stops listening, publishing a
         * BroadcasterDisconnectedEvent that says it does not reconnect. No limit when not set.
         */
        private Integer maxAttempts;

        public Duration getInitialDelay() {
            return this.initialDelay;
        }

        public void setInitialDelay(Duration initialDelay) {
            this.initialDelay = initialDelay;
        }

        public Duration getMaxDelay() {
            return this.maxDelay;
        }

        public void setMaxDelay(Duration maxDelay) {
            this.maxDelay = maxDelay;
        }

        public double getMultiplier() {
            return this.multiplier;
        }

        public void setMultiplier(double multiplier) {
            this.multiplier = multiplier;
        }

        public double getJitter() {
            return this.jitter;
        }

        public void setJitter(double jitter) {
            this.jitter = jitter;
        }

        public Integer getMaxAttempts() {
            return this.maxAttempts;
        }

        public void setMaxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

    }

    /**
     * How the listener finds out that its connection died without a word (a network black hole: packets dropped,
     * no FIN, no RST), which a blocking read never notices. Such a connection is noticed within interval + timeout.
     */
    public static class Liveness {

        /**
         * How long the listener connection may go without traffic before a validation round trip checks it.
         */
        private Duration interval = Duration.ofSeconds(15);

        /**
         * How long a round trip on the listener connection (the validation, LISTEN, the delivery probe) may take
         * before the connection is taken for dead and replaced.
         */
        private Duration timeout = Duration.ofSeconds(5);

        public Duration getInterval() {
            return this.interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

    }

    /**
     * When pg-broadcaster reports itself DOWN, and logs a warning, although its connection is up.
     */
    public static class Health {

        /**
         * How long the dispatch queue may stay full, with no notification started, before pg-broadcaster is taken
         * for stuck: an event listener or subscriber that does not return. A warning names it and health is DOWN
         * until a notification starts again.
         */
        private Duration stuckAfter = Duration.ofSeconds(30);

        /**
         * Fraction, above 0 and at most 1, of the server's notification queue (pg_notification_queue_usage(),
         * read on the listener connection every 'pg.broadcaster.liveness.interval') from which a warning is logged
         * and health is DOWN. When the queue is full, every NOTIFY on the server fails at commit.
         */
        private double queueUsageThreshold = 0.5;

        public Duration getStuckAfter() {
            return this.stuckAfter;
        }

        public void setStuckAfter(Duration stuckAfter) {
            this.stuckAfter = stuckAfter;
        }

        public double getQueueUsageThreshold() {
            return this.queueUsageThreshold;
        }

        public void setQueueUsageThreshold(double queueUsageThreshold) {
            this.queueUsageThreshold = queueUsageThreshold;
        }

    }

    /**
     * Micrometer observations and traces across instances.
     */
    public static class Observation {

        /**
         * Whether PgNotifier carries the sender's trace context (Micrometer Tracing's propagation fields, such as
         * traceparent) in an envelope ahead of each payload it sends, so that each receiving instance's delivery
         * continues the sender's trace. Needs the application's ObservationRegistry. Every instance of
         * pg-broadcaster opens the envelope whatever this setting; other listeners on the channel see it.
         */
        private boolean propagate = false;

        public boolean isPropagate() {
            return this.propagate;
        }

        public void setPropagate(boolean propagate) {
            this.propagate = propagate;
        }

    }

    /**
     * Triggers installed at startup.
     */
    public static class Triggers {

        /**
         * Tables to attach the pg_broadcaster_notify() trigger to at startup (see level), as 'table' or
         * 'schema.table', used as written. The trigger function is installed too. Empty: nothing is installed.
         */
        private List<String> tables = new ArrayList<>();

        /**
         * Channel the installed triggers notify. Defaults to 'pg.broadcaster.channel', or else the first of
         * 'pg.broadcaster.channels'.
         */
        private String channel;

        /**
         * How the installed triggers fire: 'statement', once per statement; or 'row', once per row inserted, updated
         * or deleted (and per truncate), enabled always, which is what fires on a logical replication subscriber.
         * Not with the journal.
         */
        private TriggerLevel level = TriggerLevel.STATEMENT;

        public List<String> getTables() {
            return this.tables;
        }

        public void setTables(List<String> tables) {
            this.tables = tables;
        }

        public String getChannel() {
            return this.channel;
        }

        public void setChannel(String channel) {
            this.channel = channel;
        }

        public TriggerLevel getLevel() {
            return this.level;
        }

        public void setLevel(TriggerLevel level) {
            this.level = level;
        }

    }

    /**
     * How the installed triggers fire.
     */
    public enum TriggerLevel {

        /** Once per statement, on INSERT, UPDATE, DELETE and TRUNCATE. */
        STATEMENT,

        /**
         * Once per row on INSERT, UPDATE and DELETE and once per TRUNCATE, enabled always: for a logical replication
         * subscriber.
         */
        ROW

    }

    /**
     * The journal: a table with a row per change, from which each instance replays what it missed.
     */
    public static class Journal {

        /**
         * Whether changes are written to a journal table as well as notified, so that every instance delivers each
         * change exactly once: live, or replayed after a reconnect. PgNotifier and the installed triggers write to it.
         */
        private boolean enabled = false;

        /**
         * Journal table, as 'table' or 'schema.table', used as written. Unqualified, it is found on the search path.
         */
        private String table = "pg_broadcaster_journal";

        /**
         * Whether to create what is missing of the journal table and its functions at startup: 'always', or
         * 'never' to leave it to migrations (META-INF/pg-broadcaster/journal_table.sql and journal_functions.sql).
         */
        private InitializeSchema initializeSchema = InitializeSchema.ALWAYS;

        /**
         * How often the listener checks the journal for changes no notification brought, such as a lost doorbell;
         * they are delivered within two intervals.
         */
        private Duration catchUpInterval = Duration.ofSeconds(1);

        /**
         * How long journal rows are kept. An instance away for longer is told its replay is incomplete.
         */
        private Duration retention = Duration.ofHours(1);

        /**
         * How often rows older than the retention are deleted, by one instance at a time.
         */
        private Duration cleanupInterval = Duration.ofMinutes(1);

        /**
         * Largest payload PgNotifier writes to the journal, in UTF-8. Payloads over NOTIFY's 7999 bytes travel
         * through the journal row.
         */
        private DataSize maxPayload = DataSize.ofMegabytes(1);

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getTable() {
            return this.table;
        }

        public void setTable(String table) {
            this.table = table;
        }

        public InitializeSchema getInitializeSchema() {
            return this.initializeSchema;
        }

        public void setInitializeSchema(InitializeSchema initializeSchema) {
            this.initializeSchema = initializeSchema;
        }

        public Duration getCatchUpInterval() {
            return this.catchUpInterval;
        }

        public void setCatchUpInterval(Duration catchUpInterval) {
            this.catchUpInterval = catchUpInterval;
        }

        public Duration getRetention() {
            return this.retention;
        }

        public void setRetention(Duration retention) {
            this.retention = retention;
        }

        public Duration getCleanupInterval() {
            return this.cleanupInterval;
        }

        public void setCleanupInterval(Duration cleanupInterval) {
            this.cleanupInterval = cleanupInterval;
        }

        public DataSize getMaxPayload() {
            return this.maxPayload;
        }

        public void setMaxPayload(DataSize maxPayload) {
            this.maxPayload = maxPayload;
        }

    }

    /**
     * The server-sent events endpoint, for browsers (Spring MVC or WebFlux).
     */
    public static class Web {

        /**
         * Whether to serve notifications as server-sent events at 'path', in a Spring MVC or a WebFlux application.
         * Needs 'channels'.
         */
        private boolean enabled = false;

        /**
         * Path of the server-sent events endpoint.
         */
        private String path = "/pg-broadcaster/events";

        /**
         * Channels streamed to browsers (an allow-list, each one the broadcaster listens on); nothing that is not
         * listed is streamed.
         */
        private List<String> channels = new ArrayList<>();

        /**
         * Events that may wait for each client; when they are more, 'overflow' decides.
         */
        private int bufferSize = 256;

        /**
         * What happens when a client's buffer is full: 'gap' drops the event and, once there is room, sends a 'gap'
         * event with the count; 'disconnect' closes that client's stream.
         */
        private EventStreamOverflow overflow = EventStreamOverflow.GAP;

        /**
         * How long a stream may stay idle before a comment line is written to it, which keeps proxies from closing it
         * and finds clients that have gone.
         */
        private Duration heartbeat = Duration.ofSeconds(15);

        /**
         * Clients that may be connected at once; one more gets HTTP 503.
         */
        private int maxClients = 1000;

        /**
         * With the journal, the most changes a client that reconnects with Last-Event-ID is sent from the journal
         * before it goes live; with more to catch up on it is told to resync instead.
         */
        private int resumeLimit = 10_000;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getPath() {
            return this.path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public List<String> getChannels() {
            return this.channels;
        }

        public void setChannels(List<String> channels) {
            this.channels = channels;
        }

        public int getBufferSize() {
            return this.bufferSize;
        }

        public void setBufferSize(int bufferSize) {
            this.bufferSize = bufferSize;
        }

        public EventStreamOverflow getOverflow() {
            return this.overflow;
        }

        public void setOverflow(EventStreamOverflow overflow) {
            this.overflow = overflow;
        }

        public Duration getHeartbeat() {
            return this.heartbeat;
        }

        public void setHeartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
        }

        public int getMaxClients() {
            return this.maxClients;
        }

        public void setMaxClients(int maxClients) {
            this.maxClients = maxClients;
        }

        public int getResumeLimit() {
            return this.resumeLimit;
        }

        public void setResumeLimit(int resumeLimit) {
            this.resumeLimit = resumeLimit;
        }

    }

    /**
     * Whether the starter creates the journal table.
     */
    public enum InitializeSchema {

        /** Create what is missing at startup. */
        ALWAYS,

        /** Leave it to the application's migrations. */
        NEVER

    }

    /**
     * The payload type of one channel.
     */
    public static class PayloadType {

        /**
         * Channel whose payloads have this type; one of the channels pg-broadcaster listens on.
         */
        private String channel;

        /**
         * Fully qualified name of the class each payload is read as, with the application's Jackson
         * ObjectMapper; or 'raw' to decode nothing and publish only RawNotification events.
         */
        private String type;

        public String getChannel() {
            return this.channel;
        }

        public void setChannel(String channel) {
            this.channel = channel;
        }

        public String getType() {
            return this.type;
        }

        public void setType(String type) {
            this.type = type;
        }

    }

    /**
     * How notifications travel from the listener to event listeners and subscribers.
     */
    public static class Dispatch {

        /**
         * Number of threads that publish notifications as application events. 1 keeps the order in which
         * notifications arrived; more give up that order for throughput.
         */
        private int threads = 1;

        /**
         * Number of notifications that may wait for a dispatch thread.
         */
        private int queueCapacity = 10_000;

        /**
         * What to do with a notification when the dispatch queue, a subscriber's queue or a reactive subscriber's
         * buffer is full: 'block' loses nothing and holds up the listener; 'drop-newest' and 'drop-oldest' drop
         * one notification, count it and log it.
         */
        private OverflowPolicy overflowPolicy = OverflowPolicy.BLOCK;

        /**
         * Number of notifications that may wait for each programmatic subscriber, and in each reactive
         * subscriber's buffer.
         */
        private int subscriberQueueCapacity = 1_000;

        public int getThreads() {
            return this.threads;
        }

        public void setThreads(int threads) {
            this.threads = threads;
        }

        public int getQueueCapacity() {
            return this.queueCapacity;
        }

        public void setQueueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
        }

        public OverflowPolicy getOverflowPolicy() {
            return this.overflowPolicy;
        }

        public void setOverflowPolicy(OverflowPolicy overflowPolicy) {
            this.overflowPolicy = overflowPolicy;
        }

        public int getSubscriberQueueCapacity() {
            return this.subscriberQueueCapacity;
        }

        public void setSubscriberQueueCapacity(int subscriberQueueCapacity) {
            this.subscriberQueueCapacity = subscriberQueueCapacity;
        }

    }

}
