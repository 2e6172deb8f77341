package dev.pgbroadcaster.web;

import java.util.Collection;
import java.util.List;

import dev.pgbroadcaster.dispatch.Notification;
import dev.pgbroadcaster.dispatch.Notification.JournalPosition;

/**
 * The journal, as the hub reads it for a client that comes back with the position of the last event it got.
 */
public interface EventStreamJournal {

    /**
     * Returns the changes on {@code channels} after {@code position}, decoded, in the order of their ids, or
     * {@code null} when the journal no longer reaches back to the position or holds more than {@code limit}.
     * @throws Exception if the journal cannot be read
     */
    List<Notification> changesAfter(JournalPosition position, Collection<String> channels, int limit) throws Exception;

    /**
     * Returns the position of a client that has seen every change up to now.
     * @throws Exception if the journal cannot be read
     */
    JournalPosition positionNow() throws Exception;

}
