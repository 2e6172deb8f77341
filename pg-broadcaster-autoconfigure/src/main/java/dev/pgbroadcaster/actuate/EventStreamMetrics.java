package dev.pgbroadcaster.actuate;

import dev.pgbroadcaster.web.DisconnectReason;
import dev.pgbroadcaster.web.EventStreamHub;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The event stream's meters: clients connected, events dropped for clients that did not keep up, and streams
 * ended, by reason ({@code slow}, {@code gone}, {@code shutdown}).
 */
public final class EventStreamMetrics implements MeterBinder {

    private static final String PREFIX = "pg.broadcaster.web.";

    private final EventStreamHub hub;

    /**
     * @param hub the hub to read
     */
    public EventStreamMetrics(EventStreamHub hub) {
        this.hub = hub;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(PREFIX + "clients", this.hub, EventStreamHub::clients)
            .description("Clients connected to the server-sent events endpoint")
            .baseUnit("clients")
            .register(registry);
        FunctionCounter.builder(PREFIX + "dropped", this.hub, EventStreamHub::dropped)
            .description("Events dropped for clients whose buffer was full")
            .baseUnit("events")
            .register(registry);
        for (DisconnectReason reason : DisconnectReason.values()) {
            FunctionCounter.builder(PREFIX + "disconnects", this.hub, (hub) -> hub.disconnects(reason))
                .description("Streams that ended: slow (buffer full with overflow=disconnect), gone (the client went "
                        + "away) or shutdown")
                .tag("reason", reason.tag())
                .register(registry);
        }
    }

}
