package dev.pgbroadcaster.listening;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.pgbroadcaster.Broadcasting;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.EventRecorder;
import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.listening.LowLatencySocket;
import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter's listener connection reads through the low-latency socket: notifications arrive through it,
 * the driver's probes after them are answered at once, and an idle listener costs no CPU.
 */
class LowLatencyReceiveTests {

    private final String channel = Broadcasting.channel();

    @Test
    void notificationsReachEventListenersThroughTheLowLatencySocket() {
        List<LowLatencySocket> sockets = new ArrayList<>();
        // The application starts, and so connects, on this thread.
        LowLatencySocketFactory.observingSockets(sockets::add, () -> {
            Broadcasting.application(this.channel)
                .withUserConfiguration(EventRecorder.class)
                .run((context) -> {
                    assertThat(context.getBean(JdbcListenerConnectionFactory.class).usesLowLatencySocket()).isTrue();
                    assertThat(sockets).hasSize(1);
                    List<ChangeNotification> sent = IntStream.range(0, 50)
                        .mapToObj((i) -> change("table_" + i, "INSERT"))
                        .toList();
                    sent.forEach((notification) -> send(this.channel, notification));
                    EventRecorder recorder = context.getBean(EventRecorder.class);
                    assertThat(recorder.next(ChangeNotification.class, sent.size())).isEqualTo(sent);
                    // Each wake-up ends with the driver asking whether more is pending.
                    assertThat(sockets.get(0).probesAnsweredAtOnce()).isPositive();
                });
            return null;
        });
    }

    @Test
    void anIdleListenerThreadUsesAlmostNoCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assertThat(threads.isCurrentThreadCpuTimeSupported()).isTrue();
        Set<Thread> before = listenerThreads();
        Broadcasting.application(this.channel)
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                // Let it receive once, so the idle time measured is after a wake-up with its probe.
                send(this.channel, change("warm", "INSERT"));
                context.getBean(EventRecorder.class).next(ChangeNotification.class);
                Set<Thread> started = listenerThreads();
                started.removeAll(before);
                assertThat(started).hasSize(1);
                long id = started.iterator().next().getId();
                long cpuBefore = threads.getThreadCpuTime(id);
                long wallBefore = System.nanoTime();
                Thread.sleep(3_000);
                long cpuNanos = threads.getThreadCpuTime(id) - cpuBefore;
                long wallNanos = System.nanoTime() - wallBefore;
                // A loop waking up every millisecond would spend well over 1% of the elapsed time on the CPU
                // (thousands of system calls a second); the idle listener wakes up five times a second.
                assertThat(cpuNanos).as("CPU time of the idle listener thread over %d ms (ns)",
                        TimeUnit.NANOSECONDS.toMillis(wallNanos)).isLessThan(wallNanos / 100);
            });
    }

    private static Set<Thread> listenerThreads() {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.getName().equals("pg-broadcaster-listener"))
            .collect(Collectors.toSet());
    }

}
