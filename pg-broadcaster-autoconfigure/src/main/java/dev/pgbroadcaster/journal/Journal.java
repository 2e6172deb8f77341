package dev.pgbroadcaster.journal;

import java.time.Instant;
import java.util.List;

import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.listening.ReplaySource;

/**
 * The journal, when {@code pg.broadcaster.journal.enabled=true}: writers add a row per change and ring a doorbell;
 * the listener delivers from the doorbell, replays what it missed after each gap and catches up between reads;
 * old rows are deleted after the retention. Reads and deletions go through the listener's connection factory: the
 * journal lives in the database the listener listens to.
 */
public final class Journal {

    private final JournalSettings settings;

    private final JournalTable table;

    private final ListenerConnectionFactory connections;

    public Journal(JournalSettings settings, ListenerConnectionFactory connections) {
        this.settings = settings;
        this.table = new JournalTable(settings.table());
        this.connections = connections;
    }

    public JournalTable table() {
        return this.table;
    }

    /**
     * Returns a new reader for a broadcaster that starts now, listening on {@code channels}.
     */
    public ReplaySource reader(List<String> channels, BroadcasterObserver observer) {
        return new JournalReader(this.table, this.settings, channels, observer, Instant.now(), this.connections);
    }

    /**
     * Returns what reads the changes after a position, for clients that come back.
     */
    public JournalBacklog backlog() {
        return new JournalBacklog(this.table, this.connections);
    }

    /**
     * Starts deleting rows older than the retention, every cleanup interval, until closed.
     */
    public JournalRetention startRetention(BroadcasterObserver observer) {
        return new JournalRetention(this.table, this.settings, this.connections, observer);
    }

}
