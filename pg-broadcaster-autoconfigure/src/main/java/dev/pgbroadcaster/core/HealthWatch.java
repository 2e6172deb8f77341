package dev.pgbroadcaster.core;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.pgbroadcaster.support.ThrottledWarning;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Logs what makes the broadcaster unhealthy although its connection is up, whether or not anyone asks its health: a
 * dispatch queue that stays full behind a listener that does not return, and a server notification queue filling
 * up. Looks a few times per {@code pg.broadcaster.health.stuck-after} (at most once a second) on a thread of its own,
 * since the listener thread is the one held up; warns at most once every {@link #WARNING_INTERVAL} while it lasts,
 * and says so once it is over.
 */
final class HealthWatch implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(HealthWatch.class);

    static final Duration WARNING_INTERVAL = Duration.ofSeconds(30);

    private static final Duration LONGEST_LOOK_INTERVAL = Duration.ofSeconds(1);

    private static final Duration SHORTEST_LOOK_INTERVAL = Duration.ofMillis(10);

    private final Supplier<String> stuck;

    private final Supplier<String> filling;

    private final ThrottledWarning stuckWarning = new ThrottledWarning(logger, WARNING_INTERVAL);

    private final ThrottledWarning fillingWarning = new ThrottledWarning(logger, WARNING_INTERVAL);

    private final ScheduledExecutorService executor;

    private boolean wasStuck;

    private boolean wasFilling;

    /**
     * @param stuckAfter how long the dispatch queue may be full with nothing started
     * @param stuck says why the broadcaster is stuck, or {@code null} when it is not
     * @param filling says why the server's notification queue is filling up, or {@code null} when it is not
     */
    HealthWatch(Duration stuckAfter, Supplier<String> stuck, Supplier<String> filling) {
        this.stuck = stuck;
        this.filling = filling;
        this.executor = Executors.newSingleThreadScheduledExecutor((task) -> {
            Thread thread = new Thread(task, "pg-broadcaster-health-watch");
            thread.setDaemon(true);
            return thread;
        });
        Duration quarter = stuckAfter.dividedBy(4);
        long interval = Math.max(SHORTEST_LOOK_INTERVAL.toMillis(), Math.min(LONGEST_LOOK_INTERVAL.toMillis(), quarter.toMillis()));
        this.executor.scheduleWithFixedDelay(this::look, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void look() {
        try {
            lookForStuck();
            lookForFilling();
        }
        catch (RuntimeException ex) {
            logger.error("Could not check the health of pg-broadcaster; checking again shortly", ex);
        }
    }

    private void lookForStuck() {
        String why = this.stuck.get();
        if (why != null) {
            this.wasStuck = true;
            this.stuckWarning.warn(() -> "pg-broadcaster is stuck: " + why + ". Make that listener (or subscriber) return: one that "
                    + "waits for something should wait with a timeout, and slow work belongs on an executor of its own. "
                    + "Its health is DOWN until a notification starts again.", null);
        }
        else if (this.wasStuck) {
            this.wasStuck = false;
            logger.info("pg-broadcaster is no longer stuck: the dispatch queue is moving again");
        }
    }

    private void lookForFilling() {
        String why = this.filling.get();
        if (why != null) {
            this.wasFilling = true;
            this.fillingWarning.warn(() -> why + ". Look in pg_stat_activity for a session that LISTENs and has stopped "
                    + "reading, or has been idle in a transaction for long (it reads nothing until the transaction "
                    + "ends); its notifications are freed once it reads or ends. The health of pg-broadcaster is DOWN "
                    + "until the usage is below the threshold again.", null);
        }
        else if (this.wasFilling) {
            this.wasFilling = false;
            logger.info("The server's notification queue is below pg.broadcaster.health.queue-usage-threshold again");
        }
    }

    /**
     * Stops looking.
     */
    @Override
    public void close() {
        this.executor.shutdownNow();
        try {
            this.executor.awaitTermination(1, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

}
