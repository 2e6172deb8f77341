package dev.pgbroadcaster;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Published as an application event once the listener connection is up and LISTENs on every channel: when the
 * application starts and after every reconnect.
 * <p>
 * LISTEN has been issued before this event is published, and, with one dispatch thread (the default), it
 * reaches event listeners before any notification received on the new connection. Without the journal,
 * LISTEN/NOTIFY delivers at most once, so what was sent while the connection was down is lost: an application
 * that must not miss a change re-reads what it caches when {@link #complete()} is {@code false}, and misses
 * nothing that commits after that. With the journal ({@code pg.broadcaster.journal.enabled=true}), the changes
 * written while the connection was down are replayed before this event, and {@link #complete()} says whether the
 * replay reached back to all of them.
 *
 * @param channels the channels LISTENed on
 * @param reconnect whether the connection came back after it was lost, rather than being opened for the first
 * time
 * @param downtime how long notifications could not be received: from the moment the loss was noticed (for the
 * first connection, from the moment the broadcaster started) until LISTEN succeeded; zero when the first attempt
 * at startup succeeded
 * @param connectedAt when LISTEN succeeded
 * @param replayed how many changes the journal replayed, delivered before this event; always zero without the
 * journal
 * @param complete whether every change committed since the broadcaster started has been or will be delivered:
 * with the journal, whether the replay reached back to everything written while the listener was away (it does
 * not when that was longer ago than {@code pg.broadcaster.journal.retention}, or after a failover); without it,
 * {@code true} only for a first connection made at once
 * @param server the host and port the listener connection reached, as the URL names it (with several hosts in
 * {@code pg.broadcaster.url}, the one the driver chose), never with credentials; {@code null} when a
 * {@link ListenerConnectionFactory} of the application's returns a connection that does not say
 * @param serverChanged whether {@link #server()} differs from the server of the previous connection, as after a
 * failover to a standby; {@code false} for the first connection and when either server is not known
 */
public record BroadcasterConnectedEvent(List<String> channels, boolean reconnect, Duration downtime, Instant connectedAt,
        long replayed, boolean complete, String server, boolean serverChanged) {

    /**
     * An event with every component given; {@code channels} is copied.
     * @param channels the channels LISTENed on
     * @param reconnect whether the connection came back after it was lost
     * @param downtime how long notifications could not be received
     * @param connectedAt when LISTEN succeeded
     * @param replayed how many changes the journal replayed
     * @param complete whether every change committed since the broadcaster started has been or will be delivered
     * @param server the host and port the listener connection reached, or {@code null}
     * @param serverChanged whether the server differs from the previous connection's
     */
    public BroadcasterConnectedEvent {
        channels = List.copyOf(channels);
    }

    /**
     * An event that does not say which server the listener reached.
     * @param channels the channels LISTENed on
     * @param reconnect whether the connection came back after it was lost
     * @param downtime how long notifications could not be received
     * @param connectedAt when LISTEN succeeded
     * @param replayed how many changes the journal replayed
     * @param complete whether every change committed since the broadcaster started has been or will be delivered
     */
    public BroadcasterConnectedEvent(List<String> channels, boolean reconnect, Duration downtime, Instant connectedAt,
            long replayed, boolean complete) {
        this(channels, reconnect, downtime, connectedAt, replayed, complete, null, false);
    }

    /**
     * An event without the journal: nothing replayed, and complete only for a first connection made at once.
     * @param channels the channels LISTENed on
     * @param reconnect whether the connection came back after it was lost
     * @param downtime how long notifications could not be received
     * @param connectedAt when LISTEN succeeded
     */
    public BroadcasterConnectedEvent(List<String> channels, boolean reconnect, Duration downtime, Instant connectedAt) {
        this(channels, reconnect, downtime, connectedAt, 0, !reconnect && downtime.isZero());
    }

}
