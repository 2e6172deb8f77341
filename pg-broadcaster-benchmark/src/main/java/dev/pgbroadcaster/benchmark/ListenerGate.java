package dev.pgbroadcaster.benchmark;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

import dev.pgbroadcaster.ListenerConnectionFactory;

import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Keeps a broadcaster's listener away from the database on request, as a server that refuses connections would,
 * by wrapping the connection factory the starter configured. It stands only in front of opening a connection, so
 * nothing it does is on the path of a notification, and it tells when the listener's first attempt after the gap
 * began, which is where a replay starts.
 */
final class ListenerGate implements BeanPostProcessor {

    private volatile boolean refusing;

    private final AtomicLong firstAttemptNanos = new AtomicLong();

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        return (bean instanceof ListenerConnectionFactory factory) ? new Gated(factory) : bean;
    }

    /**
     * Refuses every connection from now on.
     */
    void close() {
        this.refusing = true;
        this.firstAttemptNanos.set(0);
    }

    void open() {
        this.refusing = false;
    }

    /**
     * Returns when the first connection attempt let through since {@link #open()} began, or 0 if none was.
     */
    long firstAttemptNanos() {
        return this.firstAttemptNanos.get();
    }

    private final class Gated implements ListenerConnectionFactory {

        private final ListenerConnectionFactory factory;

        Gated(ListenerConnectionFactory factory) {
            this.factory = factory;
        }

        @Override
        public Connection connect() throws SQLException {
            long now = System.nanoTime();
            if (ListenerGate.this.refusing) {
                // What the driver reports when the server cannot be reached: a failure that may fix itself.
                throw new SQLException("the benchmark keeps the listener away", "08001");
            }
            ListenerGate.this.firstAttemptNanos.compareAndSet(0, now);
            return this.factory.connect();
        }

        @Override
        public String description() {
            return this.factory.description();
        }

    }

}
