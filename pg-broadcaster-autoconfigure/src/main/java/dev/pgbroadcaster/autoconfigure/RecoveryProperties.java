package dev.pgbroadcaster.autoconfigure;

import java.time.Duration;

import dev.pgbroadcaster.RecoverySettings;

/**
 * Checks {@code pg.broadcaster.fail-fast}, {@code reconnect.*} and {@code liveness.*} and turns them into
 * {@link RecoverySettings}, naming the property at fault when one is out of range.
 */
final class RecoveryProperties {

    private RecoveryProperties() {
    }

    static RecoverySettings settings(PgBroadcasterProperties properties) {
        PgBroadcasterProperties.Reconnect reconnect = properties.getReconnect();
        PgBroadcasterProperties.Liveness liveness = properties.getLiveness();
        requireAtLeastOneMillisecond("pg.broadcaster.reconnect.initial-delay", reconnect.getInitialDelay());
        requireAtLeastOneMillisecond("pg.broadcaster.reconnect.max-delay", reconnect.getMaxDelay());
        if (reconnect.getMaxDelay().compareTo(reconnect.getInitialDelay()) < 0) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.reconnect.max-delay",
                    "must not be shorter than pg.broadcaster.reconnect.initial-delay (" + reconnect.getInitialDelay()
                            + "), but is " + reconnect.getMaxDelay());
        }
        if (!(reconnect.getMultiplier() >= 1.0) || Double.isInfinite(reconnect.getMultiplier())) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.reconnect.multiplier",
                    "must be at least 1, but is " + reconnect.getMultiplier());
        }
        if (!(reconnect.getJitter() >= 0.0 && reconnect.getJitter() <= 1.0)) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.reconnect.jitter",
                    "must be between 0 and 1, but is " + reconnect.getJitter());
        }
        if (reconnect.getMaxAttempts() != null && reconnect.getMaxAttempts() < 1) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.reconnect.max-attempts",
                    "must be at least 1, or not set for no limit, but is " + reconnect.getMaxAttempts());
        }
        requireAtLeastOneMillisecond("pg.broadcaster.liveness.interval", liveness.getInterval());
        requireAtLeastOneMillisecond("pg.broadcaster.liveness.timeout", liveness.getTimeout());
        if (liveness.getTimeout().toMillis() > Integer.MAX_VALUE) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.liveness.timeout",
                    "must be at most " + Duration.ofMillis(Integer.MAX_VALUE) + ", but is " + liveness.getTimeout());
        }
        return new RecoverySettings(properties.isFailFast(), reconnect.getInitialDelay(), reconnect.getMaxDelay(),
                reconnect.getMultiplier(), reconnect.getJitter(), reconnect.getMaxAttempts(), liveness.getInterval(),
                liveness.getTimeout());
    }

    private static void requireAtLeastOneMillisecond(String property, Duration value) {
        if (value == null || value.toMillis() < 1) {
            throw new InvalidBroadcasterPropertyException(property, "must be at least 1ms, but is " + value);
        }
    }

}
