package dev.pgbroadcaster.dispatch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.Inbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sinks get every delivered notification, raw and decoded, and the connection events in order with them, after the
 * application's listeners, on the dispatch thread; one that throws is logged and changes nothing else.
 */
@ExtendWith(OutputCaptureExtension.class)
class NotificationSinkTests {

    private final String channel = Broadcasting.channel();

    @Test
    void aSinkGetsEachNotificationAfterTheListenersAndTheConnectionEventsInOrder(CapturedOutput output) {
        Broadcasting.application(this.channel).withUserConfiguration(SinkApplication.class).run((context) -> {
            SinkApplication sinks = context.getBean(SinkApplication.class);
            assertThat(sinks.recording.next()).isInstanceOf(BroadcasterConnectedEvent.class);
            send(this.channel, change("orders", "INSERT"));
            send(this.channel, change("orders", "UPDATE"));
            for (String action : List.of("INSERT", "UPDATE")) {
                Object next = sinks.recording.next();
                assertThat(next).isInstanceOf(Notification.class);
                Notification notification = (Notification) next;
                assertThat(notification.decoded()).isEqualTo(change("orders", action));
                assertThat(notification.raw().payload()).isEqualTo(change("orders", action).toString());
                assertThat(notification.channel()).isEqualTo(this.channel);
                // The listener had it first, and the dispatch thread hands it on.
                assertThat(sinks.heardByListener).contains(change("orders", action));
                assertThat(sinks.threads).allMatch((name) -> name.startsWith("pg-broadcaster-dispatch-"));
            }
            assertThat(output).contains("A notification sink", "threw; dispatch goes on");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class SinkApplication {

        final Inbox<Object> recording = new Inbox<>();

        final List<ChangeNotification> heardByListener = new CopyOnWriteArrayList<>();

        final List<String> threads = new CopyOnWriteArrayList<>();

        @EventListener
        void on(ChangeNotification change) {
            this.heardByListener.add(change);
        }

        @Bean
        @Order(1)
        NotificationSink throwingSink() {
            return new NotificationSink() {

                @Override
                public void delivered(Notification notification) {
                    throw new IllegalStateException("a sink that throws");
                }

                @Override
                public void connectionEvent(Object event) {
                    throw new IllegalStateException("a sink that throws");
                }

            };
        }

        @Bean
        @Order(2)
        NotificationSink recordingSink() {
            return new NotificationSink() {

                @Override
                public void delivered(Notification notification) {
                    SinkApplication.this.threads.add(Thread.currentThread().getName());
                    SinkApplication.this.recording.add(notification);
                }

                @Override
                public void connectionEvent(Object event) {
                    SinkApplication.this.recording.add(event);
                }

            };
        }

    }

}
