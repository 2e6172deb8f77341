package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.awaitility.Awaitility;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * Records, as an event listener of the application under test, everything the broadcaster publishes: every
 * {@link ChangeNotification}, {@link RawNotification}, typed payload, {@link BroadcasterConnectedEvent} and
 * {@link BroadcasterDisconnectedEvent}, in the order they arrive and with the time they arrived
 * ({@link System#nanoTime()}). Register it with {@code withUserConfiguration(EventRecorder.class)}, or
 * {@link HoldingFirstNotification} where the listener must be held up.
 * <p>
 * Two ways to read: {@link #next(Class)} takes the next arrival of one type, whatever arrived in between, and
 * {@link #nextInOrder(Class)} takes the next of everything the listener announces and fails if it is not of
 * the type expected, for tests about the order of notifications and connection events. Both wait at most
 * {@link Inbox#DEADLINE}.
 * <p>
 * An application that also defines an {@link OnConnect} bean has it run on every connected event, before the
 * event is recorded, as a resync listener would.
 */
@Configuration(proxyBeanMethods = false)
public class EventRecorder {

    private final List<Arrival<?>> arrivals = new ArrayList<>();

    private final Map<Class<?>, Integer> nextOfType = new HashMap<>();

    private final ObjectProvider<OnConnect> onConnect;

    private int nextInOrder;

    private volatile long highestNumber;

    /**
     * What a test wants done when the listener announces a connection.
     */
    @FunctionalInterface
    public interface OnConnect {

        void connected(BroadcasterConnectedEvent event) throws Exception;

    }

    /**
     * One recorded event and when it arrived.
     * @param nanos {@link System#nanoTime()} on arrival
     * @param event what arrived
     */
    public record Arrival<T>(long nanos, T event) {

    }

    public EventRecorder(ObjectProvider<OnConnect> onConnect) {
        this.onConnect = onConnect;
    }

    // One listener for every payload: a typed channel's payload can be of any type. The context's own events
    // (refreshed, closed) are not the broadcaster's.
    @EventListener
    void on(Object event) throws Exception {
        if (event instanceof ApplicationEvent) {
            return;
        }
        if (event instanceof BroadcasterConnectedEvent connected) {
            OnConnect action = this.onConnect.getIfAvailable();
            if (action != null) {
                action.connected(connected);
            }
        }
        if (event instanceof ChangeNotification notification) {
            beforeRecording(notification);
        }
        record(event);
    }

    /**
     * Called on the dispatch thread for every change notification, before it is recorded.
     */
    void beforeRecording(ChangeNotification notification) throws InterruptedException {
    }

    private synchronized void record(Object event) {
        this.arrivals.add(new Arrival<>(System.nanoTime(), event));
        if (event instanceof ChangeNotification notification) {
            this.highestNumber = Math.max(this.highestNumber, NumberedSender.number(notification));
        }
        notifyAll();
    }

    /**
     * Takes the next arrival of {@code type}, waiting at most {@link Inbox#DEADLINE}.
     */
    public <T> T next(Class<T> type) {
        return nextArrival(type).event();
    }

    /**
     * Takes the next {@code count} arrivals of {@code type}.
     */
    public <T> List<T> next(Class<T> type, int count) {
        List<T> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            items.add(next(type));
        }
        return items;
    }

    /**
     * Takes the arrivals of {@code type} up to and including the first one equal to {@code last}.
     */
    public <T> List<T> upTo(Class<T> type, T last) {
        List<T> items = new ArrayList<>();
        T item;
        do {
            item = next(type);
            items.add(item);
        }
        while (!last.equals(item));
        return items;
    }

    /**
     * Takes the next arrival of {@code type}, or returns {@code null} if none arrives within {@code timeout}.
     */
    public synchronized <T> T poll(Class<T> type, Duration timeout) throws InterruptedException {
        Arrival<T> found = await(type, timeout);
        return (found != null) ? found.event() : null;
    }

    /**
     * Takes the next arrival of {@code type} with the time it arrived.
     */
    public synchronized <T> Arrival<T> nextArrival(Class<T> type) {
        try {
            Arrival<T> found = await(type, Inbox.DEADLINE);
            if (found == null) {
                throw new AssertionError("No " + type.getSimpleName() + " arrived within " + Inbox.DEADLINE);
            }
            return found;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting", ex);
        }
    }

    /**
     * Whether every arrival of {@code type} so far has been taken.
     */
    public synchronized boolean hasNoMore(Class<?> type) {
        return indexOf(type, this.nextOfType.getOrDefault(type, 0)) < 0;
    }

    /**
     * Takes the next of everything the listener announces (notifications, typed payloads, connection events;
     * not the {@link RawNotification} that comes with every notification and says nothing about order), and
     * fails unless it is a {@code type}.
     */
    public synchronized <T> T nextInOrder(Class<T> type) {
        Object next = takeInOrder();
        if (!type.isInstance(next)) {
            throw new AssertionError("Expected a " + type.getSimpleName() + " but got " + next);
        }
        return type.cast(next);
    }

    /**
     * Takes, in the order of {@link #nextInOrder}, everything up to and including the first that matches
     * {@code last}.
     */
    public synchronized List<Object> inOrderUpToFirst(Predicate<Object> last) {
        List<Object> items = new ArrayList<>();
        Object item;
        do {
            item = takeInOrder();
            items.add(item);
        }
        while (!last.test(item));
        return items;
    }

    /**
     * Whether everything the listener announced so far has been taken by {@link #nextInOrder}.
     */
    public synchronized boolean hasNoMoreInOrder() {
        for (int i = this.nextInOrder; i < this.arrivals.size(); i++) {
            if (inOrder(this.arrivals.get(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Everything of {@code type} that arrived so far, taken or not, with the time it arrived.
     */
    @SuppressWarnings("unchecked")
    public synchronized <T> List<Arrival<T>> arrivals(Class<T> type) {
        List<Arrival<T>> found = new ArrayList<>();
        for (Arrival<?> arrival : this.arrivals) {
            if (type.isInstance(arrival.event())) {
                found.add((Arrival<T>) arrival);
            }
        }
        return found;
    }

    /**
     * The numbers of the {@link NumberedSender} notifications that arrived so far, in the order they arrived.
     */
    public synchronized List<Long> numbers() {
        List<Long> numbers = new ArrayList<>();
        for (Arrival<ChangeNotification> arrival : arrivals(ChangeNotification.class)) {
            long number = NumberedSender.number(arrival.event());
            if (number >= 0) {
                numbers.add(number);
            }
        }
        return numbers;
    }

    /**
     * Waits until the notification numbered {@code number}, or a later one, has arrived.
     */
    public void awaitNumber(long number) {
        // Polled closely: the fault is injected right after, and what is sent meanwhile may be lost.
        Awaitility.await().atMost(Inbox.DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
            .until(() -> this.highestNumber >= number);
    }

    /**
     * Waits for the first connected event that arrives after {@code nanos}.
     */
    public Arrival<BroadcasterConnectedEvent> awaitConnectedAfter(long nanos) {
        return Awaitility.await().atMost(Inbox.DEADLINE.multipliedBy(2)).until(() -> {
            for (Arrival<BroadcasterConnectedEvent> each : arrivals(BroadcasterConnectedEvent.class)) {
                if (each.nanos() - nanos > 0) {
                    return each;
                }
            }
            return null;
        }, (found) -> found != null);
    }

    @SuppressWarnings("unchecked")
    private <T> Arrival<T> await(Class<T> type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int index = indexOf(type, this.nextOfType.getOrDefault(type, 0));
            if (index >= 0) {
                this.nextOfType.put(type, index + 1);
                return (Arrival<T>) this.arrivals.get(index);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    private int indexOf(Class<?> type, int from) {
        for (int i = from; i < this.arrivals.size(); i++) {
            if (type.isInstance(this.arrivals.get(i).event())) {
                return i;
            }
        }
        return -1;
    }

    private Object takeInOrder() {
        long deadline = System.nanoTime() + Inbox.DEADLINE.toNanos();
        try {
            while (true) {
                while (this.nextInOrder < this.arrivals.size()) {
                    Arrival<?> arrival = this.arrivals.get(this.nextInOrder++);
                    if (inOrder(arrival)) {
                        return arrival.event();
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("Nothing arrived within " + Inbox.DEADLINE);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting", ex);
        }
    }

    private static boolean inOrder(Arrival<?> arrival) {
        return !(arrival.event() instanceof RawNotification);
    }

    /**
     * An {@link EventRecorder} that holds the dispatch thread on the first change notification until
     * {@link #release() released}, so that what follows queues up behind it. Not a {@code @Configuration}, which
     * would make every application with the plain recorder register this one too, as a member class; register it
     * with {@code withUserConfiguration} all the same.
     */
    public static class HoldingFirstNotification extends EventRecorder {

        private final CountDownLatch held = new CountDownLatch(1);

        private final CountDownLatch release = new CountDownLatch(1);

        public HoldingFirstNotification(ObjectProvider<OnConnect> onConnect) {
            super(onConnect);
        }

        @Override
        void beforeRecording(ChangeNotification notification) throws InterruptedException {
            this.held.countDown();
            // Interrupted when closing runs out of time: the listener then counts as failed.
            this.release.await();
        }

        /**
         * Waits until the first notification is held.
         */
        public void awaitHeld() {
            SubscriptionTests.awaitQuietly(this.held);
        }

        /**
         * Whether the first notification has reached the listener and is held there.
         */
        public boolean hasHeldFirst() {
            return this.held.getCount() == 0;
        }

        /**
         * Lets the held listener, and every later notification, carry on.
         */
        public void release() {
            this.release.countDown();
        }

    }

}
