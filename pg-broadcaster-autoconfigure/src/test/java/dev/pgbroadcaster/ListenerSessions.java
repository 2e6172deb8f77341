package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.stream.Collectors;

import dev.pgbroadcaster.testsupport.TestDatabase;

import static org.awaitility.Awaitility.await;

/**
 * The server sessions of a listener, found by the {@code application_name} a test gives it, and its threads.
 */
public final class ListenerSessions {

    private ListenerSessions() {
    }

    /**
     * Ends the listener's session as {@code pg_terminate_backend} does, as an administrator or a failover would.
     * Right after it connects, the listener's delivery check opens a second, short-lived session under the same name
     * to send its probe; this waits for that one to end first, so that the listener's is the one ended.
     * @return whether there was at least one and all were ended
     */
    public static boolean terminate(String applicationName) {
        awaitOneSession(applicationName);
        return query("SELECT coalesce(bool_and(pg_terminate_backend(pid)), false) FROM pg_stat_activity WHERE application_name = ?",
                applicationName) == 1;
    }

    /**
     * Waits until {@code applicationName} has one session, the listener's: the delivery check's sender has ended.
     */
    static void awaitOneSession(String applicationName) {
        await().atMost(Inbox.DEADLINE).until(() -> count(applicationName) == 1);
    }

    static int count(String applicationName) {
        return query("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = ?", applicationName);
    }

    private static int query(String sql, String applicationName) {
        try (Connection connection = TestDatabase.get().connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, applicationName);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                Object value = result.getObject(1);
                return (value instanceof Boolean bool) ? (bool ? 1 : 0) : ((Number) value).intValue();
            }
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Returns the live threads of the broadcaster (listener, connection attempts, dispatch, subscribers).
     */
    static Set<Thread> threads() {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.isAlive() && thread.getName().startsWith("pg-broadcaster-"))
            .collect(Collectors.toSet());
    }

}
