package dev.pgbroadcaster.listening;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Runs one connection attempt on a thread of its own, so that the listener thread, which waits for it, can give
 * up at once when asked to stop: a connection attempt to a server that accepts but never answers blocks in a
 * read that nothing but the socket timeout ends. An abandoned attempt closes the connection it may still get.
 */
final class ConnectionAttempt {

    private static final long POLL_MILLIS = 50;

    @FunctionalInterface
    interface Opener {

        ListenerConnection open() throws SQLException;

    }

    private ConnectionAttempt() {
    }

    /**
     * Opens a connection, waiting until it is open, the attempt fails, or {@code stopping} says to stop.
     * @return the connection, or {@code null} when told to stop first
     * @throws SQLException if the attempt fails
     */
    static ListenerConnection run(Opener opener, BooleanSupplier stopping) throws SQLException {
        CompletableFuture<ListenerConnection> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(opener.open());
            }
            catch (Throwable ex) {
                result.completeExceptionally(ex);
            }
        }, "pg-broadcaster-connect");
        // Ends on its own once the attempt fails or succeeds; it must not hold up the JVM meanwhile.
        thread.setDaemon(true);
        thread.start();
        try {
            while (true) {
                try {
                    return result.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
                }
                catch (TimeoutException ex) {
                    if (stopping.getAsBoolean()) {
                        abandon(result);
                        return null;
                    }
                }
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            abandon(result);
            return null;
        }
        catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    private static void abandon(CompletableFuture<ListenerConnection> result) {
        result.whenComplete((connection, failure) -> {
            if (connection != null) {
                connection.abort();
            }
        });
    }

}
