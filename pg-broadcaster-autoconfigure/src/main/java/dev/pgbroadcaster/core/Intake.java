package dev.pgbroadcaster.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.dispatch.Dispatcher;
import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.listening.NotificationListener;
import dev.pgbroadcaster.payload.InvalidPayloadException;
import dev.pgbroadcaster.payload.PayloadDecoder;
import dev.pgbroadcaster.payload.TraceEnvelope;
import dev.pgbroadcaster.support.ChannelWarnings;
import dev.pgbroadcaster.support.Excerpts;
import dev.pgbroadcaster.support.Identifiers;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * What the listener thread does with what it reads: counts each notification, takes a sender's trace context out of
 * its payload's envelope, decodes the payload (a bad one is counted, logged per channel at most once every ten
 * seconds, and dropped), and hands the notifications of one read to the dispatcher together, with the connection
 * events in order with them. Used by the listener thread alone.
 */
final class Intake implements NotificationListener.Handler {

    private static final Log logger = LogFactory.getLog(Intake.class);

    private final PayloadDecoder decoder;

    private final Dispatcher dispatcher;

    private final BroadcasterObserver observer;

    private final BroadcasterStatistics statistics;

    private final ChannelWarnings invalidWarnings;

    private List<Notification> read = new ArrayList<>();

    /** How many of {@link #read} to hand over at once; set when the first is added. */
    private int handOverLimit;

    Intake(PayloadDecoder decoder, Dispatcher dispatcher, BroadcasterObserver observer, BroadcasterStatistics statistics,
            List<String> channels) {
        this.decoder = decoder;
        this.dispatcher = dispatcher;
        this.observer = observer;
        this.statistics = statistics;
        this.invalidWarnings = new ChannelWarnings(logger, Duration.ofSeconds(10), channels);
    }

    @Override
    public void handle(String channel, String received, int processId) {
        take(channel, received, processId, null);
    }

    @Override
    public void handleJournalRow(String channel, String received, int processId, long id, long horizon) {
        take(channel, received, processId, new Notification.JournalPosition(horizon, id));
    }

    private void take(String channel, String received, int processId, Notification.JournalPosition position) {
        long receivedAt = System.nanoTime();
        this.observer.received(channel);
        Notification notification;
        try {
            notification = notification(this.decoder, channel, received, processId, position, receivedAt);
        }
        catch (InvalidPayloadException ex) {
            this.observer.invalid(channel);
            String payload = TraceEnvelope.open(received).payload();
            this.invalidWarnings.warn(channel, () -> "Dropped a notification on channel " + Identifiers.quote(channel)
                    + " because " + ex.getMessage() + "; payload: " + Excerpts.of(payload) + " ("
                    + this.statistics.invalid() + " invalid so far)", null);
            return;
        }
        if (this.read.isEmpty()) {
            // The room only grows meanwhile, so reading it once per hand-over will do.
            this.handOverLimit = this.dispatcher.handOverLimit();
        }
        this.read.add(notification);
        if (this.read.size() >= this.handOverLimit) {
            handOver();
        }
    }

    /**
     * Makes a notification of what was received: the sender's trace context taken out of the payload's envelope,
     * the payload decoded for its channel.
     * @throws InvalidPayloadException if the payload is not of the channel's type
     */
    static Notification notification(PayloadDecoder decoder, String channel, String received, int processId,
            Notification.JournalPosition position, long receivedAt) throws InvalidPayloadException {
        TraceEnvelope.Opened opened = TraceEnvelope.looksEnveloped(received) ? TraceEnvelope.open(received) : null;
        String payload = (opened != null) ? opened.payload() : received;
        Map<String, String> trace = (opened != null) ? opened.fields() : Map.of();
        Object decoded = decoder.decode(channel, payload);
        RawNotification raw = new RawNotification(channel, (payload != null) ? payload : "", processId);
        return new Notification(raw, decoded, receivedAt, trace, position);
    }

    @Override
    public void endOfRead() {
        handOver();
    }

    @Override
    public void connected(BroadcasterConnectedEvent event) {
        handOver();
        this.dispatcher.dispatchConnectionEvent(event);
    }

    @Override
    public void disconnected(BroadcasterDisconnectedEvent event) {
        handOver();
        this.dispatcher.dispatchConnectionEvent(event);
    }

    private void handOver() {
        if (this.read.isEmpty()) {
            return;
        }
        List<Notification> handed = this.read;
        this.read = new ArrayList<>();
        this.dispatcher.dispatch(handed);
    }

}
