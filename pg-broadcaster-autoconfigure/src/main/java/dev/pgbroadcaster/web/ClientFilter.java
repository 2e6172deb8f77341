package dev.pgbroadcaster.web;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.dispatch.Notification;

/**
 * What one client asked for with its query parameters: {@code channel} (repeatable; none means every channel
 * streamed), {@code table} and {@code action} (repeatable), which match {@link ChangeNotification#table()} and
 * {@link ChangeNotification#action()}, the action in any case. A notification that is not a
 * {@code ChangeNotification} matches no table or action filter.
 */
record ClientFilter(Set<String> channels, Set<String> tables, Set<String> actions) {

    static ClientFilter of(List<String> channels, List<String> tables, List<String> actions) {
        return new ClientFilter(Set.copyOf(channels), Set.copyOf(tables),
                actions.stream().map((action) -> action.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet()));
    }

    boolean matches(Notification notification) {
        if (!this.channels.isEmpty() && !this.channels.contains(notification.channel())) {
            return false;
        }
        if (this.tables.isEmpty() && this.actions.isEmpty()) {
            return true;
        }
        if (!(notification.decoded() instanceof ChangeNotification change)) {
            return false;
        }
        return (this.tables.isEmpty() || this.tables.contains(change.table()))
                && (this.actions.isEmpty() || (change.action() != null
                        && this.actions.contains(change.action().toUpperCase(Locale.ROOT))));
    }

}
