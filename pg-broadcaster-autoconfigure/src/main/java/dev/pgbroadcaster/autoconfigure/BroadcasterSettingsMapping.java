package dev.pgbroadcaster.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.support.InvalidSettingException;

/**
 * Maps {@code pg.broadcaster.*} onto {@link BroadcasterSettings}, which checks them; a value it refuses becomes an
 * {@link InvalidBroadcasterPropertyException} naming the property as the user wrote it.
 */
final class BroadcasterSettingsMapping {

    private BroadcasterSettingsMapping() {
    }

    static BroadcasterSettings settings(PgBroadcasterProperties properties) {
        List<String> channels = new ArrayList<>();
        if (properties.getChannel() != null) {
            channels.add(properties.getChannel());
        }
        channels.addAll(properties.getChannels());
        PgBroadcasterProperties.Dispatch dispatch = properties.getDispatch();
        PgBroadcasterProperties.Reconnect reconnect = properties.getReconnect();
        PgBroadcasterProperties.Liveness liveness = properties.getLiveness();
        try {
            return new BroadcasterSettings(channels,
                    new BroadcasterSettings.Dispatch(dispatch.getThreads(), dispatch.getQueueCapacity(),
                            dispatch.getOverflowPolicy(), dispatch.getSubscriberQueueCapacity()),
                    new RecoverySettings(properties.isFailFast(), reconnect.getInitialDelay(), reconnect.getMaxDelay(),
                            reconnect.getMultiplier(), reconnect.getJitter(), reconnect.getMaxAttempts(),
                            liveness.getInterval(), liveness.getTimeout()),
                    properties.getShutdownTimeout());
        }
        catch (InvalidSettingException ex) {
            throw new InvalidBroadcasterPropertyException(propertyOf(ex, properties), ex.getProblem());
        }
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
