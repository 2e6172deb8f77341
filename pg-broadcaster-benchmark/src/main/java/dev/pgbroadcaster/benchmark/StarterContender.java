package dev.pgbroadcaster.benchmark;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.core.PgBroadcaster;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.context.support.GenericApplicationContext;

/**
 * This starter as a user runs it: a Spring Boot application with {@code pg.broadcaster.*} properties, the
 * channel's payloads typed as {@link BenchEvent}, received by plain {@code @EventListener} methods. With the
 * journal ({@code pg.broadcaster.journal.enabled=true}), senders write through the journal's writer, {@code pg_broadcaster_journal_write},
 * and the listener can be kept away for a while to measure its replay.
 */
final class StarterContender implements Contender {

    /** The listener's {@code application_name}, by which the replay workload ends its session. */
    private static final String LISTENER_NAME = "pg-broadcaster-benchmark-listener";

    private final boolean journal;

    StarterContender(boolean journal) {
        this.journal = journal;
    }

    @Override
    public String name() {
        return this.journal ? BenchmarkMain.JOURNAL : BenchmarkMain.STARTER;
    }

    @Override
    public boolean replays() {
        return this.journal;
    }

    // Its writers, one pg_broadcaster_journal_write per change, top out far below a flood: it would time them.
    @Override
    public boolean takesFloods() {
        return !this.journal;
    }

    @Override
    public Running start(Database database, String channel, int listeners, Recorder recorder) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.datasource.url", database.url);
        if (database.username != null) {
            properties.put("spring.datasource.username", database.username);
        }
        if (database.password != null) {
            properties.put("spring.datasource.password", database.password);
        }
        properties.put("pg.broadcaster.channel", channel);
        properties.put("pg.broadcaster.payload-types[0].channel", channel);
        properties.put("pg.broadcaster.payload-types[0].type", BenchEvent.class.getName());
        properties.put("pg.broadcaster.application-name", LISTENER_NAME);
        // Only how soon the listener tries again once the replay workload lets it back; nothing measured waits for it.
        properties.put("pg.broadcaster.reconnect.max-delay", "1s");
        if (this.journal) {
            properties.put("pg.broadcaster.journal.enabled", "true");
        }
        properties.put("spring.main.banner-mode", "off");
        properties.put("logging.level.root", "WARN");
        // Spring Integration is on this module's classpath for its own contender; it has no part in this one.
        properties.put("spring.autoconfigure.exclude",
                "org.springframework.boot.autoconfigure.integration.IntegrationAutoConfiguration");
        ListenerGate gate = new ListenerGate();
        ConnectionEvents connections = new ConnectionEvents();
        ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
            .web(WebApplicationType.NONE)
            .properties(properties)
            .initializers((GenericApplicationContext ctx) -> {
                ctx.registerBean("benchListenerGate", ListenerGate.class, () -> gate);
                ctx.registerBean("benchConnectionEvents", ConnectionEvents.class, () -> connections);
                for (int index = 0; index < listeners; index++) {
                    int listener = index;
                    ctx.registerBean("benchListener" + index, Listener.class, () -> new Listener(listener, recorder));
                }
            })
            .logStartupInfo(false)
            .run();
        PgBroadcaster broadcaster = context.getBean(PgBroadcaster.class);
        return new Running() {

            @Override
            public Sender newSender() throws Exception {
                return StarterContender.this.journal ? NotifySender.journal(database, channel)
                        : NotifySender.plain(database, channel);
            }

            @Override
            public int queued() {
                return broadcaster.dispatchQueueSize();
            }

            @Override
            public void keepAway(long deadlineNanos) throws Exception {
                if (!StarterContender.this.journal) {
                    Running.super.keepAway(deadlineNanos);
                }
                long disconnects = connections.disconnects();
                gate.close();
                if (database.terminate(LISTENER_NAME) == 0) {
                    throw new IllegalStateException("The listener had no session to end");
                }
                if (!connections.await(() -> connections.disconnects() > disconnects, deadlineNanos)) {
                    throw new IllegalStateException("The listener did not notice that its session ended");
                }
            }

            @Override
            public Reconnection letBack(long deadlineNanos) throws Exception {
                if (!StarterContender.this.journal) {
                    return Running.super.letBack(deadlineNanos);
                }
                long connects = connections.connects();
                gate.open();
                if (!connections.await(() -> connections.connects() > connects, deadlineNanos)) {
                    throw new IllegalStateException("The listener did not connect again");
                }
                return new Reconnection(gate.firstAttemptNanos(), connections.lastConnectedNanos(),
                        connections.lastReplayed());
            }

            @Override
            public void close() {
                context.close();
            }

        };
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {

    }

    /**
     * The connection events as the application sees them, when they reach it.
     */
    public static final class ConnectionEvents {

        private long connects;

        private long disconnects;

        private long lastConnectedNanos;

        private long lastReplayed;

        @EventListener
        public synchronized void on(BroadcasterConnectedEvent event) {
            this.lastConnectedNanos = System.nanoTime();
            this.lastReplayed = event.replayed();
            this.connects++;
            notifyAll();
        }

        @EventListener
        public synchronized void on(BroadcasterDisconnectedEvent event) {
            this.disconnects++;
            notifyAll();
        }

        synchronized long connects() {
            return this.connects;
        }

        synchronized long disconnects() {
            return this.disconnects;
        }

        synchronized long lastConnectedNanos() {
            return this.lastConnectedNanos;
        }

        synchronized long lastReplayed() {
            return this.lastReplayed;
        }

        synchronized boolean await(BooleanSupplier condition, long deadlineNanos) throws InterruptedException {
            while (!condition.getAsBoolean()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }

    }

    public static final class Listener {

        private final int index;

        private final Recorder recorder;

        Listener(int index, Recorder recorder) {
            this.index = index;
            this.recorder = recorder;
        }

        @EventListener
        public void on(BenchEvent event) {
            this.recorder.deliver(this.index, event.seq(), event.sentNanos());
        }

    }

}
