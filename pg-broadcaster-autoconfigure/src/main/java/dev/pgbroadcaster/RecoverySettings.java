package dev.pgbroadcaster;

import java.time.Duration;

/**
 * How the broadcaster keeps its listener connection up: what startup does when the database cannot be
 * reached, how it reconnects, and how it finds out that a connection has silently died.
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
        requirePositive("initialDelay", initialDelay);
        requirePositive("maxDelay", maxDelay);
        requirePositive("livenessInterval", livenessInterval);
        requirePositive("livenessTimeout", livenessTimeout);
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("maxDelay must not be shorter than initialDelay");
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be at least 1");
        }
        if (!(jitter >= 0.0 && jitter <= 1.0)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1");
        }
        if (maxAttempts != null && maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, or null for no limit");
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

    private static void requirePositive(String name, Duration duration) {
        if (duration == null || duration.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 ms");
        }
    }

}
