package dev.pgbroadcaster.benchmark;

import java.util.LinkedHashMap;
import java.util.Map;

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
 * channel's payloads typed as {@link BenchEvent}, received by plain {@code @EventListener} methods.
 */
final class StarterContender implements Contender {

    @Override
    public String name() {
        return "pg-broadcaster";
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
        properties.put("spring.main.banner-mode", "off");
        properties.put("logging.level.root", "WARN");
        // Spring Integration is on this module's classpath for its own contender; it has no part in this one.
        properties.put("spring.autoconfigure.exclude",
                "org.springframework.boot.autoconfigure.integration.IntegrationAutoConfiguration");
        ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
            .web(WebApplicationType.NONE)
            .properties(properties)
            .initializers((GenericApplicationContext ctx) -> {
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
                return new NotifySender(database, channel);
            }

            @Override
            public int queued() {
                return broadcaster.dispatchQueueSize();
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
