package dev.pgbroadcaster.dispatch;

import java.time.Duration;
import java.util.List;

import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The sinks a dispatcher hands each delivery to after the listeners and subscribers, in their order; a sink that
 * throws is logged, at most once every ten seconds, and the others still get it. Costs nothing without sinks.
 */
public final class Sinks {

    private static final Log logger = LogFactory.getLog(Sinks.class);

    /** No sink. */
    public static final Sinks NONE = new Sinks(List.of());

    private final NotificationSink[] sinks;

    private final ThrottledWarning failureWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private Sinks(List<? extends NotificationSink> sinks) {
        this.sinks = sinks.toArray(new NotificationSink[0]);
    }

    /**
     * Returns the sinks {@code sinks} in their order, or {@link #NONE}.
     */
    public static Sinks of(List<? extends NotificationSink> sinks) {
        return sinks.isEmpty() ? NONE : new Sinks(sinks);
    }

    void delivered(Notification notification) {
        for (NotificationSink sink : this.sinks) {
            try {
                sink.delivered(notification);
            }
            catch (RuntimeException ex) {
                failed(sink, ex);
            }
        }
    }

    void connectionEvent(Object event) {
        for (NotificationSink sink : this.sinks) {
            try {
                sink.connectionEvent(event);
            }
            catch (RuntimeException ex) {
                failed(sink, ex);
            }
        }
    }

    boolean isEmpty() {
        return this.sinks.length == 0;
    }

    private void failed(NotificationSink sink, RuntimeException ex) {
        this.failureWarning.warn(() -> "A notification sink (" + sink + ") threw; dispatch goes on and the other "
                + "sinks are not affected: " + ex, ex);
    }

}
