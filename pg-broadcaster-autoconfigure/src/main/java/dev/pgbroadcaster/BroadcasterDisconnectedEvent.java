package dev.pgbroadcaster;

import java.time.Instant;
import java.util.List;

/**
 * Published as an application event when the listener connection is lost: the server ended the session, the
 * network failed, or a liveness check got no answer in time. Notifications sent from now on are lost until a
 * {@link BroadcasterConnectedEvent} says the listener is back.
 * <p>
 * It is also published when the listener cannot listen at startup (the database is down, or refuses the login),
 * and when, while the listener is away, an attempt fails for a reason that will not fix itself (a refused
 * password, a database that does not exist): the {@link #cause()} says which.
 * <p>
 * When {@code pg.broadcaster.reconnect.max-attempts} runs out the listener gives up, and this event is published
 * once more with {@link #reconnecting()} {@code false}. Closing the application publishes no such event.
 *
 * @param channels the channels that were LISTENed on
 * @param cause why the connection was lost (or, when giving up, why the last attempt failed); its messages carry
 * no password
 * @param reconnecting whether the listener keeps trying to reconnect
 * @param disconnectedAt when the loss was noticed
 */
public record BroadcasterDisconnectedEvent(List<String> channels, Throwable cause, boolean reconnecting,
        Instant disconnectedAt) {

    /**
     * An event with every component given; {@code channels} is copied.
     * @param channels the channels that were LISTENed on
     * @param cause why the connection was lost; its messages carry no password
     * @param reconnecting whether the listener keeps trying to reconnect
     * @param disconnectedAt when the loss was noticed
     */
    public BroadcasterDisconnectedEvent {
        channels = List.copyOf(channels);
    }

}
