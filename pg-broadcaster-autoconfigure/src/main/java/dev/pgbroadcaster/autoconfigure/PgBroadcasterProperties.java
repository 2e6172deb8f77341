package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.OverflowPolicy;

import org.springframework.boot.context.properties.ConfigurationProperties;

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
     * Whether the listener connection reads through pg-broadcaster's low-latency socket, which spares each
     * wake-up the PostgreSQL driver's 1 ms wait. A 'socketFactory' named in the URL is kept regardless.
     */
    private boolean lowLatencySocket = true;

    private final Dispatch dispatch = new Dispatch();

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
         * What to do with a notification when the dispatch queue, or a subscriber's queue, is full: 'block'
         * loses nothing and holds up the listener; 'drop-newest' and 'drop-oldest' drop one notification,
         * count it and log it.
         */
        private OverflowPolicy overflowPolicy = OverflowPolicy.BLOCK;

        /**
         * Number of notifications that may wait for each programmatic subscriber.
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
