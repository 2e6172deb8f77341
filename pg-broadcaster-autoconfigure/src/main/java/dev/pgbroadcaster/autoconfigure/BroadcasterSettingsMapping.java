package dev.pgbroadcaster.autoconfigure;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;

import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.dispatch.LaneThreads;
import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.Notification.JournalPosition;
import dev.pgbroadcaster.journal.JournalSettings;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.support.InvalidSettingException;
import dev.pgbroadcaster.trigger.TriggerInstaller.TableName;
import dev.pgbroadcaster.web.EventStreamJournal;
import dev.pgbroadcaster.web.EventStreamSettings;

import org.springframework.core.env.Environment;

/**
 * Maps {@code pg.broadcaster.*} onto {@link BroadcasterSettings}, which checks them; a value it refuses becomes an
 * {@link InvalidBroadcasterPropertyException} naming the property as the user wrote it.
 */
final class BroadcasterSettingsMapping {

    private BroadcasterSettingsMapping() {
    }

    static BroadcasterSettings settings(PgBroadcasterProperties properties) {
        return settings(properties, LaneThreads.PLATFORM);
    }

    /**
     * Returns the kind of threads Spring Boot runs its own executors on: virtual ones with
     * {@code spring.threads.virtual.enabled=true} on Java 21 and later, as Boot's {@code Threading.VIRTUAL} decides
     * (read here by the property, the class having moved between Boot 3 and 4).
     */
    static LaneThreads threads(Environment environment) {
        boolean virtual = environment.getProperty("spring.threads.virtual.enabled", Boolean.class, false)
                && Runtime.version().feature() >= 21;
        return virtual ? LaneThreads.VIRTUAL : LaneThreads.PLATFORM;
    }

    /**
     * Returns the settings, with dispatch and subscribers on {@code threads}.
     */
    static BroadcasterSettings settings(PgBroadcasterProperties properties, LaneThreads threads) {
        List<String> channels = new ArrayList<>();
        if (properties.getChannel() != null) {
            channels.add(properties.getChannel());
        }
        channels.addAll(properties.getChannels());
        PgBroadcasterProperties.Dispatch dispatch = properties.getDispatch();
        PgBroadcasterProperties.Reconnect reconnect = properties.getReconnect();
        PgBroadcasterProperties.Liveness liveness = properties.getLiveness();
        PgBroadcasterProperties.Health health = properties.getHealth();
        try {
            return new BroadcasterSettings(channels,
                    new BroadcasterSettings.Dispatch(dispatch.getThreads(), dispatch.getQueueCapacity(),
                            dispatch.getOverflowPolicy(), dispatch.getSubscriberQueueCapacity(), threads),
                    new RecoverySettings(properties.isFailFast(), reconnect.getInitialDelay(), reconnect.getMaxDelay(),
                            reconnect.getMultiplier(), reconnect.getJitter(), reconnect.getMaxAttempts(),
                            liveness.getInterval(), liveness.getTimeout()),
                    properties.getShutdownTimeout(),
                    new BroadcasterSettings.Health(health.getStuckAfter(), health.getQueueUsageThreshold()));
        }
        catch (InvalidSettingException ex) {
            throw new InvalidBroadcasterPropertyException(propertyOf(ex, properties), ex.getProblem());
        }
    }

    /**
     * Returns the journal's settings, or {@code null} when it is off.
     */
    static JournalSettings journal(PgBroadcasterProperties properties) {
        PgBroadcasterProperties.Journal journal = properties.getJournal();
        if (!journal.isEnabled()) {
            return null;
        }
        TableName table;
        try {
            table = TableName.parse(journal.getTable());
        }
        catch (IllegalArgumentException ex) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.journal.table", ex.getMessage());
        }
        if (journal.getInitializeSchema() == null) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.journal.initialize-schema", "must be always or never");
        }
        long maxPayload = (journal.getMaxPayload() != null) ? journal.getMaxPayload().toBytes() : -1;
        try {
            return new JournalSettings(table, journal.getInitializeSchema() == PgBroadcasterProperties.InitializeSchema.ALWAYS,
                    journal.getCatchUpInterval(), journal.getRetention(), journal.getCleanupInterval(),
                    (int) Math.max(-1, Math.min(Integer.MAX_VALUE, maxPayload)));
        }
        catch (InvalidSettingException ex) {
            throw new InvalidBroadcasterPropertyException(ex.getProperty(), ex.getProblem());
        }
    }

    /**
     * Returns the event stream's settings, checked against the channels the broadcaster listens on.
     */
    static EventStreamSettings web(PgBroadcasterProperties properties, List<String> listened, LaneThreads threads) {
        PgBroadcasterProperties.Web web = properties.getWeb();
        if (web.getPath() == null || !web.getPath().startsWith("/")) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.web.path",
                    "must be a path that starts with '/', but was " + web.getPath());
        }
        try {
            EventStreamSettings.checkChannels(listened, web.getChannels());
            return new EventStreamSettings(new LinkedHashSet<>(web.getChannels()), web.getBufferSize(),
                    web.getOverflow(), web.getHeartbeat(), web.getMaxClients(), threads, web.getResumeLimit());
        }
        catch (InvalidSettingException ex) {
            throw new InvalidBroadcasterPropertyException(ex.getProperty()
                    + ((ex.getIndex() >= 0) ? "[" + ex.getIndex() + "]" : ""), ex.getProblem());
        }
    }

    /**
     * Returns the journal as the event stream reads it for clients that come back, or {@code null} without one.
     */
    static EventStreamJournal eventStreamJournal(PgBroadcaster broadcaster) {
        if (!broadcaster.hasJournal()) {
            return null;
        }
        return new EventStreamJournal() {

            @Override
            public List<Notification> changesAfter(JournalPosition position, Collection<String> channels, int limit)
                    throws Exception {
                return broadcaster.changesAfter(position, channels, limit);
            }

            @Override
            public JournalPosition positionNow() throws Exception {
                return broadcaster.journalPositionNow();
            }

        };
    }

    // The settings number the channels in one list: pg.broadcaster.channel first, when set, then channels.
    private static String propertyOf(InvalidSettingException ex, PgBroadcasterProperties properties) {
        if (ex.getIndex() < 0) {
            return ex.getProperty();
        }
        int index = ex.getIndex();
        if (properties.getChannel() != null) {
            if (index == 0) {
                return "pg.broadcaster.channel";
            }
            index--;
        }
        return "pg.broadcaster.channels[" + index + "]";
    }

}
