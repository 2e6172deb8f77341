package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * Collects what arrives on other threads and hands it to the test, waiting at most a deadline.
 */
public final class Inbox<T> {

    public static final Duration DEADLINE = Duration.ofSeconds(10);

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();

    public void add(T item) {
        this.queue.add(item);
    }

    public T next() {
        try {
            T item = this.queue.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            if (item == null) {
                fail("Nothing arrived within " + DEADLINE);
            }
            return item;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting", ex);
        }
    }

    public List<T> next(int count) {
        List<T> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            items.add(next());
        }
        return items;
    }

    /**
     * Returns everything that arrives up to and including the first item equal to {@code last}.
     */
    public List<T> upTo(T last) {
        return upToFirst(last::equals);
    }

    /**
     * Returns everything that arrives up to and including the first item that matches {@code last}.
     */
    public List<T> upToFirst(java.util.function.Predicate<? super T> last) {
        List<T> items = new ArrayList<>();
        T item;
        do {
            item = next();
            items.add(item);
        }
        while (!last.test(item));
        return items;
    }

    /**
     * Returns the next item, or {@code null} if none arrives within {@code timeout}.
     */
    public T poll(Duration timeout) throws InterruptedException {
        return this.queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isEmpty() {
        return this.queue.isEmpty();
    }

}
