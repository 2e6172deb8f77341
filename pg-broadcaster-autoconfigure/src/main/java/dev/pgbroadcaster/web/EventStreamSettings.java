package dev.pgbroadcaster.web;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.pgbroadcaster.dispatch.LaneThreads;
import dev.pgbroadcaster.support.InvalidSettingException;

/**
 * The hub's settings, checked once.
 *
 * @param channels the channels streamed (the allow-list); nothing else is
 * @param bufferSize how many events may wait for each client
 * @param overflow what happens when a client's buffer is full
 * @param heartbeat how long a stream may stay idle before a comment line is written to it
 * @param maxClients how many clients may be connected at once
 * @param threads the kind of each client's writer thread
 * @param resumeLimit the most changes a client that comes back is sent from the journal; with more it resyncs
 */
public record EventStreamSettings(Set<String> channels, int bufferSize, EventStreamOverflow overflow, Duration heartbeat,
        int maxClients, LaneThreads threads, int resumeLimit) {

    /** The most changes sent from the journal to a client that comes back, unless set. */
    public static final int DEFAULT_RESUME_LIMIT = 10_000;

    /**
     * Settings with the default resume limit.
     */
    public EventStreamSettings(Set<String> channels, int bufferSize, EventStreamOverflow overflow, Duration heartbeat,
            int maxClients, LaneThreads threads) {
        this(channels, bufferSize, overflow, heartbeat, maxClients, threads, DEFAULT_RESUME_LIMIT);
    }

    /**
     * Checks the settings.
     * @throws InvalidSettingException naming the property of a setting out of range
     */
    public EventStreamSettings {
        channels = Set.copyOf(new LinkedHashSet<>(channels));
        if (bufferSize < 1) {
            throw new InvalidSettingException("pg.broadcaster.web.buffer-size", "must be at least 1, but was " + bufferSize);
        }
        if (overflow == null) {
            throw new InvalidSettingException("pg.broadcaster.web.overflow", "must be gap or disconnect");
        }
        if (heartbeat == null || heartbeat.toMillis() < 1) {
            throw new InvalidSettingException("pg.broadcaster.web.heartbeat", "must be at least 1ms, but was " + heartbeat);
        }
        if (maxClients < 1) {
            throw new InvalidSettingException("pg.broadcaster.web.max-clients", "must be at least 1, but was " + maxClients);
        }
        if (resumeLimit < 0) {
            throw new InvalidSettingException("pg.broadcaster.web.resume-limit", "must be 0 or more, but was " + resumeLimit);
        }
    }

    /**
     * Checks the allow-list against the channels the broadcaster listens on.
     * @param listened the channels the broadcaster listens on
     * @param listed the allow-list, in the order written
     * @throws InvalidSettingException naming the property when the list is empty or names a channel not listened on
     */
    public static void checkChannels(List<String> listened, List<String> listed) {
        if (listed.isEmpty()) {
            throw new InvalidSettingException("pg.broadcaster.web.channels", "must list the channels to stream to browsers "
                    + "(nothing that is not listed is streamed), for example one of " + listened);
        }
        for (int i = 0; i < listed.size(); i++) {
            if (!listened.contains(listed.get(i))) {
                throw new InvalidSettingException("pg.broadcaster.web.channels", i, "is \"" + listed.get(i)
                        + "\", a channel the broadcaster does not listen on: it listens on " + listened
                        + " (pg.broadcaster.channel and pg.broadcaster.channels)");
            }
        }
    }

}
