package dev.pgbroadcaster.sample;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.pgbroadcaster.PgNotifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Changes the {@code orders} table every {@code sample.writer.interval}, so that there are events to see, and now
 * and then ships an order, announcing it to every instance with an {@link OrderShipped} event.
 */
@Component
class OrderWriter {

    private static final Logger logger = LoggerFactory.getLogger(OrderWriter.class);

    private static final List<String> ITEMS = List.of("espresso", "flat white", "croissant", "bagel", "muffin");

    private final JdbcTemplate jdbc;

    private final TransactionTemplate transaction;

    private final PgNotifier notifier;

    // More inserts than deletes, so there are rows to update, ship and delete; a TRUNCATE clears them now and then.
    private final List<Runnable> cycle = List.of(this::insert, this::insert, this::update, this::ship, this::delete,
            this::insert, this::update, this::insert, this::ship, this::delete, this::update, this::truncate);

    // A fixed-delay task never overlaps itself, so this needs no synchronization.
    private int step;

    OrderWriter(JdbcTemplate jdbc, TransactionTemplate transaction, PgNotifier notifier) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.notifier = notifier;
    }

    @Scheduled(fixedDelayString = "${sample.writer.interval}")
    void changeOrders() {
        this.cycle.get(this.step++ % this.cycle.size()).run();
    }

    private void insert() {
        String item = ITEMS.get(ThreadLocalRandom.current().nextInt(ITEMS.size()));
        int quantity = ThreadLocalRandom.current().nextInt(1, 5);
        Long id = this.jdbc.queryForObject("INSERT INTO orders (item, quantity) VALUES (?, ?) RETURNING id",
                Long.class, item, quantity);
        logger.info("Writer: INSERT order {} ({} x {})", id, quantity, item);
    }

    private void update() {
        List<Long> ids = this.jdbc.queryForList(
                "UPDATE orders SET quantity = quantity + 1 WHERE id = (SELECT max(id) FROM orders) RETURNING id",
                Long.class);
        logger.info("Writer: UPDATE orders {}", ids.isEmpty() ? "(no rows, the trigger fires anyway)" : ids);
    }

    // The UPDATE and the OrderShipped event commit together: every instance hears of it, or none does.
    private void ship() {
        this.transaction.executeWithoutResult((status) -> {
            List<Long> ids = this.jdbc.queryForList("UPDATE orders SET shipped = true WHERE id = "
                    + "(SELECT min(id) FROM orders WHERE NOT shipped) RETURNING id", Long.class);
            if (ids.isEmpty()) {
                logger.info("Writer: nothing to ship");
                return;
            }
            String tracking = "TRK-" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
            this.notifier.send("order-events", new OrderShipped(ids.get(0), tracking));
            logger.info("Writer: shipped order {} ({}), OrderShipped sent with the transaction", ids.get(0), tracking);
        });
    }

    private void delete() {
        List<Long> ids = this.jdbc.queryForList(
                "DELETE FROM orders WHERE id = (SELECT min(id) FROM orders) RETURNING id", Long.class);
        logger.info("Writer: DELETE orders {}", ids.isEmpty() ? "(no rows, the trigger fires anyway)" : ids);
    }

    private void truncate() {
        this.jdbc.execute("TRUNCATE orders");
        logger.info("Writer: TRUNCATE orders");
    }

}
