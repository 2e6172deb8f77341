package dev.pgbroadcaster.autoconfigure;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.SocketFactory;

import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.listening.JdbcListenerConnectionFactory;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whether the listener connection reads through the low-latency socket: by default yes, not when switched
 * off, and never instead of a socket factory the URL names.
 */
@ExtendWith(OutputCaptureExtension.class)
class LowLatencySocketSettingTests {

    private final ApplicationContextRunner configured = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("low_latency_setting"));

    @Test
    void theListenerConnectionUsesTheLowLatencySocketByDefault() {
        this.configured.run((context) -> assertThat(
                ((JdbcListenerConnectionFactory) context.getBean(ListenerConnectionFactory.class)).usesLowLatencySocket())
            .isTrue());
    }

    @Test
    void itCanBeSwitchedOff() {
        this.configured.withPropertyValues("pg.broadcaster.low-latency-socket=false")
            .run((context) -> assertThat(((JdbcListenerConnectionFactory) context.getBean(ListenerConnectionFactory.class))
                .usesLowLatencySocket()).isFalse());
    }

    @Test
    void aValueThatIsNotABooleanFailsStartupNamingTheProperty() {
        this.configured.withPropertyValues("pg.broadcaster.low-latency-socket=sometimes").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("sometimes");
            assertThat(context.getStartupFailure()).hasRootCauseInstanceOf(IllegalArgumentException.class);
            Throwable bind = context.getStartupFailure();
            while (!(bind instanceof BindException) && bind.getCause() != null) {
                bind = bind.getCause();
            }
            assertThat(bind).isInstanceOf(BindException.class)
                .hasMessageContaining("pg.broadcaster.low-latency-socket");
        });
    }

    @Test
    void aSocketFactoryInTheUrlIsKeptAndTheCostIsLogged(CapturedOutput output) {
        String url = TestDatabase.get().jdbcUrl();
        String withFactory = url + (url.contains("?") ? "&" : "?") + "socketFactory=" + CountingSocketFactory.class.getName();
        int before = CountingSocketFactory.created.get();
        this.configured.withPropertyValues("pg.broadcaster.url=" + withFactory).run((context) -> {
            assertThat(context).hasNotFailed();
            JdbcListenerConnectionFactory factory = (JdbcListenerConnectionFactory) context
                .getBean(ListenerConnectionFactory.class);
            assertThat(factory.usesLowLatencySocket()).isFalse();
            assertThat(CountingSocketFactory.created.get()).isGreaterThan(before);
            try (Connection connection = factory.connect()) {
                assertThat(connection.isValid(5)).isTrue();
            }
            assertThat(output).contains("uses the socketFactory its URL names (" + CountingSocketFactory.class.getName())
                .contains("pg.broadcaster.url");
        });
    }

    /**
     * A user's socket factory: plain sockets, counted.
     */
    public static class CountingSocketFactory extends SocketFactory {

        static final AtomicInteger created = new AtomicInteger();

        @Override
        public Socket createSocket() {
            created.incrementAndGet();
            return new Socket();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            throw new UnsupportedOperationException();
        }

    }

}
