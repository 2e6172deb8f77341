package dev.pgbroadcaster.dispatch;

import java.util.Map;

import dev.pgbroadcaster.RawNotification;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;

import org.springframework.context.ApplicationContext;

/**
 * Makes each delivery of a notification to the application a Micrometer {@link Observation} named
 * {@value #NAME}, as Spring's own messaging listener containers do: with Boot's {@link ObservationRegistry} it shows
 * as a timer of that name and, with Micrometer Tracing, as a consumer span in which the event listeners run, in the
 * sender's trace when the payload carried its context. Its
 * low-cardinality keys are the channel, the payload type and the outcome. Without a registry, or with a no-op one,
 * it costs a check per notification.
 */
final class DeliveryObservations {

    /** The observation's name, and so the timer's. */
    static final String NAME = "pg.broadcaster.delivery";

    /** The channel the notification was read on. */
    static final String CHANNEL = "pg.broadcaster.channel";

    /** The simple name of the decoded event's class, {@code RawNotification} on a channel that is not decoded. */
    static final String PAYLOAD_TYPE = "pg.broadcaster.payload.type";

    /** {@code success} when every listener returned, {@code failure} when one threw. */
    static final String OUTCOME = "pg.broadcaster.outcome";

    static final DeliveryObservations NONE = new DeliveryObservations(ObservationRegistry.NOOP);

    private final ObservationRegistry registry;

    DeliveryObservations(ObservationRegistry registry) {
        this.registry = registry;
    }

    /**
     * Uses the application's registry when it has exactly one.
     */
    static DeliveryObservations of(ApplicationContext context) {
        ObservationRegistry registry = context.getBeanProvider(ObservationRegistry.class).getIfUnique();
        return (registry != null) ? new DeliveryObservations(registry) : NONE;
    }

    /**
     * Starts the observation of delivering {@code notification}, or returns {@link Observation#NOOP}.
     */
    Observation start(Notification notification) {
        if (this.registry.isNoop()) {
            return Observation.NOOP;
        }
        String channel = notification.channel();
        Object decoded = notification.decoded();
        String type = ((decoded != null) ? decoded : notification.raw()).getClass().getSimpleName();
        return Observation
            .createNotStarted(NAME, () -> new DeliveryContext(notification.raw(), notification.trace()), this.registry)
            .contextualName(channel + " receive")
            .lowCardinalityKeyValue(CHANNEL, channel)
            .lowCardinalityKeyValue(PAYLOAD_TYPE, type)
            .start();
    }

    /**
     * Stops {@code observation}, with its outcome.
     */
    static void stop(Observation observation, boolean succeeded) {
        observation.lowCardinalityKeyValue(OUTCOME, succeeded ? "success" : "failure").stop();
    }

    /**
     * A receiver's context, so that tracing makes a consumer span. Its propagation fields are those the sender put
     * in the payload's envelope ({@code pg.broadcaster.observation.propagate}), so that the span continues the
     * sender's trace; a plain payload has none, and its delivery starts a trace of its own.
     */
    static final class DeliveryContext extends ReceiverContext<RawNotification> {

        DeliveryContext(RawNotification notification, Map<String, String> trace) {
            super((carrier, key) -> trace.get(key));
            setCarrier(notification);
            setRemoteServiceName("postgresql");
        }

    }

}
