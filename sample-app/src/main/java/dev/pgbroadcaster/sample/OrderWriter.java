package dev.pgbroadcaster.sample;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Changes the {@code orders} table every {@code sample.writer.interval}, so that there are events to see, and now
 * and then ships an order through {@link Orders}, announcing it to every instance with an {@link OrderShipped} event.
 */
@Component
class OrderWriter {

    private static final Logger logger = LoggerFactory.getLogger(OrderWriter.class);

    private static final List<String> ITEMS = List.of("espresso", "flat white", "croissant", "bagel", "muffin");

    private final JdbcTemplate jdbc;

    private final Orders orders;

    // More inserts than deletes, so there are rows to update, ship and delete; a TRUNCATE clears them now and then.
    private final List<Runnable> cycle = List.of(this::insert, this::insert, this::update, this::ship, this::delete,
            this::insert, this::update, this::insert, this::ship, this::delete, this::update, this::truncate);

    // A fixed-delay task never overlaps itself, so this needs no synchronization.
    private int step;

    OrderWriter(JdbcTemplate jdbc, Orders orders) {
        this.jdbc = jdbc;
        this.orders = orders;
    }

    @Scheduled(fixedDelayString = "${sample.writer.interval}")
    void changeOrders() {
        this.cycle.get(this.step++ % this.cycle.size()).run();
    }

    private void insert() {
        String item = ITEMS.get(ThreadLocalRandom.current().nextInt(ITEMS.size()));
        int quantity = ThreadLocalRandom.current().nextInt(1, 5);
        long id = this.orders.insert(item, quantity);
        logger.info("Writer: INSERT order {} ({} x {})", id, quantity, item);
    }

    private void update() {
        List<Long> ids = this.jdbc.queryForList(
                "UPDATE orders SET quantity = quantity + 1 WHERE id = (SELECT max(id) FROM orders) RETURNING id",
                Long.class);
        logger.info("Writer: UPDATE orders {}", ids.isEmpty() ? "(no rows, the trigger fires anyway)" : ids);
    }

    private void ship() {
        List<Long> waiting = this.jdbc.queryForList("SELECT min(id) FROM orders WHERE NOT shipped", Long.class);
        Long id = waiting.isEmpty() ? null : waiting.get(0);
        OrderShipped shipped = (id != null) ? this.orders.ship(id) : null;
        if (shipped == null) {
            logger.info("Writer: nothing to ship");
            return;
        }
        logger.info("Writer: shipped order {} ({}), OrderShipped sent with the transaction", id, shipped.trackingCode());
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
