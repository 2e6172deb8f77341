package dev.pgbroadcaster.support;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;

/**
 * A {@link ThrottledWarning} for each channel, so that a flood on one channel cannot hide the first problem on
 * another. The channels are the configured ones, known up front, so the set of warnings never grows; a
 * notification on any other channel (none is listened on) shares one warning with the rest of them.
 */
public final class ChannelWarnings {

    private final Map<String, ThrottledWarning> warnings;

    private final ThrottledWarning otherChannels;

    public ChannelWarnings(Log log, Duration interval, Collection<String> channels) {
        Map<String, ThrottledWarning> warnings = new HashMap<>();
        channels.forEach((channel) -> warnings.put(channel, new ThrottledWarning(log, interval)));
        this.warnings = Map.copyOf(warnings);
        this.otherChannels = new ThrottledWarning(log, interval);
    }

    public void warn(String channel, Supplier<String> message, Throwable cause) {
        this.warnings.getOrDefault(channel, this.otherChannels).warn(message, cause);
    }

}
