package dev.pgbroadcaster.listening;

import java.time.Duration;

import dev.pgbroadcaster.support.InvalidSettingException;

/**
 * How the broadcaster keeps its listener connection up: what startup does when the database cannot be
 * reached, how it reconnects, and how it finds out that a connection has silently died. A value out of range is
 * refused with an {@link InvalidSettingException} that names the property setting it.
 *
 * @param failFast whether startup fails when the first connection attempt fails; otherwise the application
 * starts and the listener keeps trying in the background
 * @param initialDelay the wait before the first reconnect attempt
 * @param maxDelay the longest wait between two attempts
 * @param multiplier how much the wait grows after each failed attempt
 * @param jitter the fraction, from 0 to 1, by which each wait is shortened at random, so that instances that lost
 * the same server do not all come back at the same moment
 * @param maxAttempts how many attempts to make before giving up, or {@code null} for no limit
 * @param livenessInterval how long the connection may be idle before a validation round trip checks it
 * @param livenessTimeout how long any round trip on the connection may take (the validation, LISTEN, the delivery
 * probe) before the connection is taken for dead
 */
public record RecoverySettings(boolean failFast, Duration initialDelay, Duration maxDelay, double multiplier,
        double jitter, Integer maxAttempts, Duration livenessInterval, Duration livenessTimeout) {

    public RecoverySettings {
        requireAtLeastOneMillisecond("pg.broadcaster.reconnect.initial-delay", initialDelay);
        requireAtLeastOneMillisecond("pg.broadcaster.reconnect.max-delay", maxDelay);
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new InvalidSettingException("pg.broadcaster.reconnect.max-delay",
                    "must not be shorter than pg.broadcaster.reconnect.initial-delay (" + initialDelay + "), but is "
                            + maxDelay);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new InvalidSettingException("pg.broadcaster.reconnect.multiplier", "must be at least 1, but is " + multiplier);
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new InvalidSettingException("pg.broadcaster.reconnect.jitter", "must be between 0 and 1, but is " + jitter);
        }
        if (maxAttempts != null && maxAttempts < 1) {
            throw new InvalidSettingException("pg.broadcaster.reconnect.max-attempts",
                    "must be at least 1, or not set for no limit, but is " + maxAttempts);
        }
        requireAtLeastOneMillisecond("pg.broadcaster.liveness.interval", livenessInterval);
        requireAtLeastOneMillisecond("pg.broadcaster.liveness.timeout", livenessTimeout);
        if (livenessTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new InvalidSettingException("pg.broadcaster.liveness.timeout",
                    "must be at most " + Duration.ofMillis(Integer.MAX_VALUE) + ", but is " + livenessTimeout);
        }
    }

    /**
     * Returns the defaults: start even when the database is down, reconnect after 0.5 s doubling up to 30 s with
     * each wait shortened by up to half, never give up, and check a connection idle for 15 s with a round trip
     * that may take 5 s.
     */
    public static RecoverySettings defaults() {
        return new RecoverySettings(false, Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 0.5, null,
                Duration.ofSeconds(15), Duration.ofSeconds(5));
    }

    /**
     * Returns the longest a silently dead connection (a network black hole) can go unnoticed.
     */
    public Duration deadConnectionBound() {
        return this.livenessInterval.plus(this.livenessTimeout);
    }

    private static void requireAtLeastOneMillisecond(String property, Duration value) {
        if (value == null || value.toMillis() < 1) {
            throw new InvalidSettingException(property, "must be at least 1ms, but is " + value);
        }
    }

}
