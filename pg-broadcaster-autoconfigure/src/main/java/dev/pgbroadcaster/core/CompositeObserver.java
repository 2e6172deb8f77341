package dev.pgbroadcaster.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Every observer of a broadcaster as one: the statistics first, then the others in their order. An observer that
 * throws is logged (at most once every ten seconds) and does not keep the others, or delivery, from going on.
 */
final class CompositeObserver implements BroadcasterObserver {

    private static final Log logger = LogFactory.getLog(CompositeObserver.class);

    private final ThrottledWarning failureWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    private volatile BroadcasterObserver[] observers;

    CompositeObserver(BroadcasterStatistics statistics) {
        this.observers = new BroadcasterObserver[] { statistics };
    }

    /**
     * Makes {@code others} observe too, after the statistics; the statistics are not added twice.
     */
    void setOthers(BroadcasterStatistics statistics, List<? extends BroadcasterObserver> others) {
        List<BroadcasterObserver> all = new ArrayList<>();
        all.add(statistics);
        for (BroadcasterObserver other : others) {
            if (other != null && other != statistics && !all.contains(other)) {
                all.add(other);
            }
        }
        this.observers = all.toArray(BroadcasterObserver[]::new);
    }

    @Override
    public void received(String channel) {
        each((observer) -> observer.received(channel));
    }

    @Override
    public void invalid(String channel) {
        each((observer) -> observer.invalid(channel));
    }

    @Override
    public void delivered(String channel, long latencyNanos) {
        each((observer) -> observer.delivered(channel, latencyNanos));
    }

    @Override
    public void dropped(String channel, DropReason reason) {
        each((observer) -> observer.dropped(channel, reason));
    }

    @Override
    public void listenerFailed() {
        each(BroadcasterObserver::listenerFailed);
    }

    @Override
    public void subscriberDelivered(String channel) {
        each((observer) -> observer.subscriberDelivered(channel));
    }

    @Override
    public void subscriberFailed(String channel) {
        each((observer) -> observer.subscriberFailed(channel));
    }

    @Override
    public void connected(boolean reconnect) {
        each((observer) -> observer.connected(reconnect));
    }

    @Override
    public void deliveryChecked(BroadcasterStatistics.DeliveryCheck check) {
        each((observer) -> observer.deliveryChecked(check));
    }

    @Override
    public void connectionFailed(Throwable cause) {
        each((observer) -> observer.connectionFailed(cause));
    }

    @Override
    public void disconnected() {
        each(BroadcasterObserver::disconnected);
    }

    @Override
    public void notificationQueueUsage(double usage) {
        each((observer) -> observer.notificationQueueUsage(usage));
    }

    @Override
    public void replayed(long rows, boolean complete) {
        each((observer) -> observer.replayed(rows, complete));
    }

    @Override
    public void caughtUp(long rows, Duration horizonAge) {
        each((observer) -> observer.caughtUp(rows, horizonAge));
    }

    @Override
    public void journalCleaned(long rows) {
        each((observer) -> observer.journalCleaned(rows));
    }

    private void each(Consumer<BroadcasterObserver> call) {
        for (BroadcasterObserver observer : this.observers) {
            try {
                call.accept(observer);
            }
            catch (RuntimeException ex) {
                this.failureWarning.warn(() -> "The BroadcasterObserver " + observer.getClass().getName()
                        + " threw; the other observers and delivery go on", ex);
            }
        }
    }

}
