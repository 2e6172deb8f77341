package dev.pgbroadcaster;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

public class EventListenerDeliveryTests {

    private final String channel = Broadcasting.channel();

    @Test
    void notificationReachesAnEventListener() {
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class).run((context) -> {
            send(this.channel, "{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
            assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class)).isEqualTo(change("orders", "INSERT"));
        });
    }

    @Test
    void notificationsArriveInTheOrderTheyWereSent() {
        Broadcasting.application(this.channel).withUserConfiguration(EventRecorder.class).run((context) -> {
            List<ChangeNotification> sent = List.of(change("a", "INSERT"), change("b", "UPDATE"), change("c", "DELETE"),
                    change("d", "TRUNCATE"), change("e", "INSERT"));
            sent.forEach((notification) -> send(this.channel, notification));
            assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, sent.size())).isEqualTo(sent);
        });
    }

    @Test
    void listenersRunInTheirOrderAndConditionsFilter() {
        Broadcasting.application(this.channel).withUserConfiguration(OrderedAndConditional.class).run((context) -> {
            OrderedAndConditional listeners = context.getBean(OrderedAndConditional.class);
            send(this.channel, change("customers", "INSERT"));
            send(this.channel, change("orders", "INSERT"));
            assertThat(listeners.calls.next(4)).containsExactly("first customers", "second customers", "first orders",
                    "second orders");
            assertThat(listeners.ordersOnly.next()).isEqualTo(change("orders", "INSERT"));
            assertThat(listeners.ordersOnly.isEmpty()).isTrue();
        });
    }

    @Test
    void aListenerThatThrowsHarmsNeitherOtherListenersNorLaterNotifications() {
        Broadcasting.application(this.channel).withUserConfiguration(OneThrows.class, EventRecorder.class).run((context) -> {
            List<ChangeNotification> sent = List.of(change("a", "INSERT"), change("b", "INSERT"), change("c", "INSERT"));
            sent.forEach((notification) -> send(this.channel, notification));
            assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, 3)).isEqualTo(sent);
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            // Counted once publishing returns, just after the last listener handed the notification over.
            await().atMost(Inbox.DEADLINE).until(() -> statistics.published() == 3);
            assertThat(statistics.listenerErrors()).isEqualTo(3);
        });
    }

    @Test
    void listenersOfTheApplicationEventOrOfASupertypeReceiveIt() {
        Broadcasting.application(this.channel).withUserConfiguration(GenericListeners.class).run((context) -> {
            send(this.channel, change("orders", "UPDATE"));
            GenericListeners listeners = context.getBean(GenericListeners.class);
            assertThat(listeners.applicationEvents.next()).isEqualTo(change("orders", "UPDATE"));
            assertThat(listeners.records.next()).isEqualTo(change("orders", "UPDATE"));
            assertThat(context.getBean(PayloadEventListener.class).inbox.next()).isEqualTo(change("orders", "UPDATE"));
            // Once a later notification has arrived, every listener has had its chance at the first one.
            send(this.channel, change("orders", "DELETE"));
            assertThat(listeners.applicationEvents.next()).isEqualTo(change("orders", "DELETE"));
            assertThat(listeners.strings.isEmpty()).isTrue();
        });
    }

    /**
     * Not the {@link EventRecorder}: what is tested here is which kinds of listener method a notification
     * reaches (the application event, a supertype, an {@link ApplicationListener}) and which it must not.
     */
    @Configuration(proxyBeanMethods = false)
    static class GenericListeners {

        final Inbox<ChangeNotification> applicationEvents = new Inbox<>();

        final Inbox<Record> records = new Inbox<>();

        final Inbox<String> strings = new Inbox<>();

        @EventListener
        void onApplicationEvent(PayloadApplicationEvent<ChangeNotification> event) {
            this.applicationEvents.add(event.getPayload());
        }

        @EventListener
        void onRecord(Record record) {
            if (record instanceof ChangeNotification) {
                this.records.add(record);
            }
        }

        @EventListener
        void onStringEvent(PayloadApplicationEvent<String> event) {
            this.strings.add(event.getPayload());
        }

        @Bean
        PayloadEventListener payloadEventListener() {
            return new PayloadEventListener();
        }

    }

    static class PayloadEventListener implements ApplicationListener<PayloadApplicationEvent<ChangeNotification>> {

        final Inbox<ChangeNotification> inbox = new Inbox<>();

        @Override
        public void onApplicationEvent(PayloadApplicationEvent<ChangeNotification> event) {
            this.inbox.add(event.getPayload());
        }

    }

    /**
     * Not the {@link EventRecorder}: what is tested here is the order of several listener methods and a
     * condition on one of them.
     */
    @Configuration(proxyBeanMethods = false)
    static class OrderedAndConditional {

        final Inbox<String> calls = new Inbox<>();

        final Inbox<ChangeNotification> ordersOnly = new Inbox<>();

        @EventListener
        @Order(2)
        void second(ChangeNotification notification) {
            this.calls.add("second " + notification.table());
        }

        @EventListener
        @Order(1)
        void first(ChangeNotification notification) {
            this.calls.add("first " + notification.table());
        }

        @EventListener(condition = "#notification.table == 'orders'")
        @Order(3)
        void orders(ChangeNotification notification) {
            this.ordersOnly.add(notification);
        }

    }

    /**
     * A listener that throws, ordered before the {@link EventRecorder}, which runs last.
     */
    @Configuration(proxyBeanMethods = false)
    static class OneThrows {

        @EventListener
        @Order(1)
        void fails(ChangeNotification notification) {
            throw new IllegalStateException("listener failure on purpose");
        }

    }

}
