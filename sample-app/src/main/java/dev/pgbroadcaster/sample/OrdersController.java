package dev.pgbroadcaster.sample;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * What the live page reads and what its buttons do. The page does not apply the changes it hears of itself: it
 * reads the table again, so what it shows is always what the database holds.
 */
@RestController
@RequestMapping("/orders")
class OrdersController {

    private final Orders orders;

    OrdersController(Orders orders) {
        this.orders = orders;
    }

    @GetMapping
    List<Orders.Order> list() {
        return this.orders.list();
    }

    @PostMapping
    ResponseEntity<Long> insert(@RequestBody NewOrder order) {
        if (order.item() == null || order.item().isBlank() || order.quantity() < 1) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "an order needs an item and a quantity of 1 or more");
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(this.orders.insert(order.item(), order.quantity()));
    }

    @PostMapping("/{id}/ship")
    OrderShipped ship(@PathVariable long id) {
        OrderShipped shipped = this.orders.ship(id);
        if (shipped == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no order " + id + " waits to be shipped");
        }
        return shipped;
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable long id) {
        return this.orders.delete(id) ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
    }

    record NewOrder(String item, int quantity) {

    }

}
