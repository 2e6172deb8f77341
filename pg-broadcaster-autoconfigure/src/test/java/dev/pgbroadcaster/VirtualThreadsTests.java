package dev.pgbroadcaster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.springframework.context.event.EventListener;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With Spring Boot's {@code spring.threads.virtual.enabled=true} on Java 21 and later, event listeners and
 * subscribers run on virtual threads under the names they have on platform threads; the listener thread stays a
 * platform thread.
 */
class VirtualThreadsTests {

    private final String channel = Broadcasting.channel();

    @Test
    void withVirtualThreadsEnabledListenersAndSubscribersRunOnVirtualThreadsOfTheSameNames() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21 or later; .ci/run tests on Java 25");
        Broadcasting.application(this.channel).withUserConfiguration(ThreadRecorder.class)
            .withPropertyValues("spring.threads.virtual.enabled=true")
            .run((context) -> {
                ThreadRecorder recorder = context.getBean(ThreadRecorder.class);
                CompletableFuture<Thread> subscriber = new CompletableFuture<>();
                context.getBean(Broadcaster.class).subscribe((notification) -> subscriber.complete(Thread.currentThread()));
                Thread connectedOn = recorder.connected.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                Broadcasting.send(this.channel, change("orders", "INSERT"));
                Thread eventListener = recorder.received.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(eventListener.getName()).isEqualTo("pg-broadcaster-dispatch-1");
                assertThat(isVirtual(eventListener)).isTrue();
                Thread subscriberThread = subscriber.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(subscriberThread.getName()).isEqualTo("pg-broadcaster-subscriber-1-1");
                assertThat(isVirtual(subscriberThread)).isTrue();
                // The connected event comes through dispatch too.
                assertThat(isVirtual(connectedOn)).isTrue();
                // The listener thread, which reads through pgjdbc, stays a platform thread.
                Thread readOn = recorder.read.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(readOn.getName()).isEqualTo("pg-broadcaster-listener");
                assertThat(isVirtual(readOn)).isFalse();
            });
    }

    @Test
    void withoutItTheyRunOnPlatformThreads() throws Exception {
        Broadcasting.application(this.channel).withUserConfiguration(ThreadRecorder.class).run((context) -> {
            ThreadRecorder recorder = context.getBean(ThreadRecorder.class);
            recorder.connected.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            Broadcasting.send(this.channel, change("orders", "INSERT"));
            Thread eventListener = recorder.received.get(Inbox.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(eventListener.getName()).isEqualTo("pg-broadcaster-dispatch-1");
            assertThat(isVirtual(eventListener)).isFalse();
        });
    }

    // Thread.isVirtual() is Java 21's; the code compiles for Java 17.
    private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    }

    static class ThreadRecorder implements BroadcasterObserver {

        final CompletableFuture<Thread> read = new CompletableFuture<>();

        final CompletableFuture<Thread> connected = new CompletableFuture<>();

        @Override
        public void received(String channel) {
            this.read.complete(Thread.currentThread());
        }

        final CompletableFuture<Thread> received = new CompletableFuture<>();

        @EventListener
        void on(BroadcasterConnectedEvent event) {
            this.connected.complete(Thread.currentThread());
        }

        @EventListener
        void on(ChangeNotification notification) {
            this.received.complete(Thread.currentThread());
        }

    }

}
