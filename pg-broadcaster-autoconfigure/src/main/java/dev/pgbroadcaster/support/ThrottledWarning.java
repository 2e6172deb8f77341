package dev.pgbroadcaster.support;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;

/**
 * Logs a recurring problem at most once per interval, so a flood of bad input cannot flood the log; the
 * occurrences in between are logged at debug level and counted in the next warning.
 */
public final class ThrottledWarning {

    private final Log log;

    private final long intervalNanos;

    private final AtomicLong nextWarningAt = new AtomicLong(Long.MIN_VALUE);

    private final AtomicLong suppressed = new AtomicLong();

    public ThrottledWarning(Log log, java.time.Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    public void warn(Supplier<String> message, Throwable cause) {
        long now = System.nanoTime();
        long next = this.nextWarningAt.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && this.nextWarningAt.compareAndSet(next, now + this.intervalNanos)) {
            long skipped = this.suppressed.getAndSet(0);
            String text = message.get() + (skipped > 0 ? " (" + skipped + " more since the last warning)" : "");
            if (cause != null && this.log.isDebugEnabled()) {
                this.log.warn(text, cause);
            }
            else {
                this.log.warn(text);
            }
        }
        else {
            this.suppressed.incrementAndGet();
            if (this.log.isDebugEnabled()) {
                this.log.debug(message.get(), cause);
            }
        }
    }

}
