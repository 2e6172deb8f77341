package dev.pgbroadcaster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Published as an application event once the listener connection is up and LISTENs on every channel: when the
 * application starts and after every reconnect.
 * <p>
 * LISTEN has been issued before this event is published, and, with one dispatch thread (the default), it
 * reaches event listeners before any notification received on the new connection. LISTEN/NOTIFY delivers at
 * most once, so what was sent while the connection was down is lost: an application that must not miss a
 * change re-reads what it caches when {@link #reconnect()} is {@code true}, and misses nothing that commits
 * after that.
 *
 * @param channels the channels LISTENed on
 * @param reconnect whether the connection came back after it was lost, rather than being opened for the first
 * time
 * @param downtime how long notifications could not be received: from the moment the loss was noticed (for the
 * first connection, from the moment the broadcaster started) until LISTEN succeeded; zero when the first attempt
 * at startup succeeded
 * @param connectedAt when LISTEN succeeded
 */
public record BroadcasterConnectedEvent(List<String> channels, boolean reconnect, Duration downtime, Instant connectedAt) {

    public BroadcasterConnectedEvent {
        channels = List.copyOf(channels);
    }

}
