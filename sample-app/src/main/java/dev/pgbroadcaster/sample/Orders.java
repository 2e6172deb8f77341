package dev.pgbroadcaster.sample;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.pgbroadcaster.PgNotifier;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The {@code orders} table, as the writer and the page's buttons change it. Each change fires the table's trigger,
 * and shipping an order also sends {@link OrderShipped} with {@link PgNotifier}, in the same transaction.
 */
@Component
class Orders {

    private final JdbcTemplate jdbc;

    private final TransactionTemplate transaction;

    private final PgNotifier notifier;

    Orders(JdbcTemplate jdbc, TransactionTemplate transaction, PgNotifier notifier) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.notifier = notifier;
    }

    List<Order> list() {
        return this.jdbc.query("SELECT id, item, quantity, shipped FROM orders ORDER BY id",
                (row, number) -> new Order(row.getLong(1), row.getString(2), row.getInt(3), row.getBoolean(4)));
    }

    long insert(String item, int quantity) {
        return this.jdbc.queryForObject("INSERT INTO orders (item, quantity) VALUES (?, ?) RETURNING id", Long.class,
                item, quantity);
    }

    /**
     * Ships an order that is not shipped yet: the UPDATE and the {@link OrderShipped} event commit together, so every
     * instance hears of it, or none does.
     * @return the event, or {@code null} when there is no such order or it was shipped already
     */
    OrderShipped ship(long id) {
        return this.transaction.execute((status) -> {
            int updated = this.jdbc.update("UPDATE orders SET shipped = true WHERE id = ? AND NOT shipped", id);
            if (updated == 0) {
                return null;
            }
            OrderShipped shipped = new OrderShipped(id, "TRK-" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000));
            this.notifier.send("order-events", shipped);
            return shipped;
        });
    }

    boolean delete(long id) {
        return this.jdbc.update("DELETE FROM orders WHERE id = ?", id) > 0;
    }

    /**
     * A row of the table.
     */
    record Order(long id, String item, int quantity, boolean shipped) {

    }

}
