package dev.pgbroadcaster.listening;

import java.util.concurrent.ThreadLocalRandom;

import org.springframework.util.backoff.BackOffExecution;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * The waits between reconnect attempts: Spring's {@link ExponentialBackOff}, with each wait shortened at random
 * by up to a fraction of it (jitter), so that many instances that lost the same server spread their attempts
 * instead of arriving together. The jitter only ever shortens a wait, so the maximum delay stays the longest.
 */
final class ReconnectBackOff {

    private final ExponentialBackOff backOff;

    private final double jitter;

    private final int maxAttempts;

    ReconnectBackOff(RecoverySettings settings) {
        this.backOff = new ExponentialBackOff(settings.initialDelay().toMillis(), settings.multiplier());
        this.backOff.setMaxInterval(settings.maxDelay().toMillis());
        // Counted here: ExponentialBackOff.setMaxAttempts takes an int in Spring 6 and a long in Spring 7.
        this.maxAttempts = (settings.maxAttempts() != null) ? settings.maxAttempts() : Integer.MAX_VALUE;
        this.jitter = settings.jitter();
    }

    /**
     * Starts counting the attempts of one outage.
     */
    Execution start() {
        return new Execution(this.backOff.start());
    }

    final class Execution {

        private final BackOffExecution delegate;

        private int attempts;

        private Execution(BackOffExecution delegate) {
            this.delegate = delegate;
        }

        /**
         * Returns how many milliseconds to wait before the next attempt, or {@code -1} when no attempt is left.
         */
        long nextDelayMillis() {
            if (this.attempts >= ReconnectBackOff.this.maxAttempts) {
                return -1;
            }
            this.attempts++;
            long delay = this.delegate.nextBackOff();
            if (delay == BackOffExecution.STOP) {
                return -1;
            }
            long shortening = (long) (delay * ReconnectBackOff.this.jitter * ThreadLocalRandom.current().nextDouble());
            return Math.max(0, delay - shortening);
        }

    }

}
