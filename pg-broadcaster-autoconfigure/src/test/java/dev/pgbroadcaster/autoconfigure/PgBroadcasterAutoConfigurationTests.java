package dev.pgbroadcaster.autoconfigure;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PayloadWriter;
import dev.pgbroadcaster.StartupFailures;
import dev.pgbroadcaster.Subscription;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.payload.Jackson2Payloads;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * When the auto-configuration applies, what a user can replace, and how each bad setting stops startup.
 */
@ExtendWith(OutputCaptureExtension.class)
class PgBroadcasterAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class));

    private final ApplicationContextRunner configured = this.runner
        .withPropertyValues(TestDatabase.get().datasourceProperties())
        .withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("autoconfig"));

    @Test
    void configuredWithAChannelItListens() {
        this.configured.run((context) -> {
            assertThat(context).hasSingleBean(PgBroadcaster.class)
                .hasSingleBean(BroadcasterStatistics.class)
                .hasSingleBean(ListenerConnectionFactory.class);
            assertThat(context.getBean(PgBroadcaster.class).isRunning()).isTrue();
        });
    }

    @Test
    void backsOffWithoutThePostgresqlDriver() {
        this.configured.withClassLoader(new FilteredClassLoader(PGConnection.class))
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(Broadcaster.class));
    }

    @Test
    void backsOffWithoutJackson() {
        this.configured.withClassLoader(new FilteredClassLoader("com.fasterxml.jackson.databind", "tools.jackson.databind"))
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(Broadcaster.class));
    }

    @Test
    void withoutJackson3PayloadsAreReadWithJackson2AsBefore() {
        // As on Spring Boot 3.5, where the starter's Jackson 2 is the only one.
        this.configured.withClassLoader(new FilteredClassLoader("tools.jackson"))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PayloadReader.class)).isInstanceOf(Jackson2Payloads.class);
                assertThat(context.getBean(PayloadWriter.class)).isInstanceOf(Jackson2Payloads.class);
                BlockingQueue<ChangeNotification> received = new LinkedBlockingQueue<>();
                context.getBean(Broadcaster.class).subscribe(received::add);
                String channel = context.getEnvironment().getProperty("pg.broadcaster.channel");
                TestDatabase.get().notify(channel, "{\"schema\":\"public\",\"table\":\"orders\",\"action\":\"INSERT\"}");
                assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(new ChangeNotification("public", "orders", "INSERT"));
            });
    }

    @Test
    void disabledItNeedsNoChannelAndCreatesNothing() {
        this.runner.withPropertyValues("pg.broadcaster.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(Broadcaster.class)
                .doesNotHaveBean(BroadcasterStatistics.class)
                .doesNotHaveBean(ListenerConnectionFactory.class));
    }

    @Test
    void aUserBroadcasterReplacesTheAutoConfiguredOne() {
        this.runner.withUserConfiguration(UserBroadcaster.class).run((context) -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(PgBroadcaster.class);
            assertThat(context.getBean(Broadcaster.class)).isSameAs(context.getBean(UserBroadcaster.class).broadcaster);
        });
    }

    @Test
    void aUserConnectionFactoryOpensTheListenerConnection() {
        this.configured.withUserConfiguration(CountingConnectionFactory.class).run((context) -> {
            assertThat(context).hasSingleBean(ListenerConnectionFactory.class);
            // The listener connection, then the short-lived one its delivery check sends the probe from.
            BroadcasterStatistics statistics = context.getBean(BroadcasterStatistics.class);
            await().atMost(Duration.ofSeconds(10))
                .until(() -> statistics.deliveryCheck() == BroadcasterStatistics.DeliveryCheck.PASSED);
            assertThat(context.getBean(CountingConnectionFactory.class).connections).hasValue(2);
        });
    }

    @Test
    void aUserStatisticsBeanIsTheOneThatCounts() {
        this.configured.withUserConfiguration(UserStatistics.class).run((context) -> {
            assertThat(context).hasSingleBean(BroadcasterStatistics.class);
            assertThat(context.getBean(BroadcasterStatistics.class))
                .isSameAs(context.getBean(UserStatistics.class).statistics);
        });
    }

    @Test
    void theListenerConnectionComesFromJdbcConnectionDetailsWhenThereIsNoDatasourceUrl() {
        // A service connection, as Testcontainers' @ServiceConnection defines it, and no spring.datasource.*.
        this.runner.withPropertyValues("pg.broadcaster.channel=" + TestDatabase.uniqueName("details"))
            .withBean("jdbcConnectionDetails", jdbcConnectionDetailsType(), PgBroadcasterAutoConfigurationTests::jdbcConnectionDetails)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(ListenerConnectionFactory.class).description())
                    .isEqualTo(TestDatabase.get().jdbcUrl() + " as user '" + TestDatabase.get().username() + "'");
                assertThat(context.getBean(PgBroadcaster.class).isRunning()).isTrue();
            });
    }

    @Test
    void pgBroadcasterUrlTakesPrecedenceAndReusesTheDatasourceCredentials() {
        this.configured.withPropertyValues("spring.datasource.url=jdbc:postgresql://unused.invalid:5432/unused",
                "pg.broadcaster.url=" + TestDatabase.get().jdbcUrl())
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(ListenerConnectionFactory.class).description())
                    .isEqualTo(TestDatabase.get().jdbcUrl() + " as user '" + TestDatabase.get().username() + "'");
            });
    }

    @Test
    void withoutAnyChannelStartupFailsNamingTheProperty() {
        this.runner.withPropertyValues(TestDatabase.get().datasourceProperties())
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.channel is not set")
                .hasMessageContaining("pg.broadcaster.enabled=false"));
    }

    @Test
    void aChannelNamePostgresqlWouldTruncateFailsStartup() {
        this.configured.withPropertyValues("pg.broadcaster.channel=" + "c".repeat(64))
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.channel")
                .hasMessageContaining("64 bytes"));
    }

    @Test
    void aBlankEntryInChannelsFailsStartupNamingIt() {
        this.configured.withPropertyValues("pg.broadcaster.channels[0]=ok", "pg.broadcaster.channels[1]= ")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.channels[1]"));
    }

    @Test
    void threadCountsAndCapacitiesBelowOneFailStartup() {
        for (String property : new String[] { "pg.broadcaster.dispatch.threads", "pg.broadcaster.dispatch.queue-capacity",
                "pg.broadcaster.dispatch.subscriber-queue-capacity" }) {
            this.configured.withPropertyValues(property + "=0")
                .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining(property + " must be at least 1, but is 0"));
        }
    }

    @Test
    void anUnknownOverflowPolicyFailsStartupNamingTheProperty() {
        this.configured.withPropertyValues("pg.broadcaster.dispatch.overflow-policy=drop-everything")
            .run((context) -> assertThat(StartupFailures.cause(context, BindException.class))
                .hasMessageContaining("pg.broadcaster.dispatch.overflow-policy"));
    }

    @Test
    void overflowPolicyAcceptsTheNamesTheReadmeUses() {
        this.configured.withPropertyValues("pg.broadcaster.dispatch.overflow-policy=drop-oldest")
            .run((context) -> assertThat(context.getBean(PgBroadcasterProperties.class).getDispatch().getOverflowPolicy())
                .hasToString("drop-oldest"));
    }

    @Test
    void aNegativeShutdownTimeoutFailsStartup() {
        this.configured.withPropertyValues("pg.broadcaster.shutdown-timeout=-1s")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.shutdown-timeout must be zero or more"));
    }

    @Test
    void aUrlThatIsNotPostgresqlFailsStartupNamingWhereItCameFrom() {
        this.configured.withPropertyValues("pg.broadcaster.url=jdbc:mysql://db:3306/app?password=s3cret")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.url must be a jdbc:postgresql: URL")
                .hasMessageNotContaining("s3cret"));
        this.runner.withPropertyValues("pg.broadcaster.channel=c", "spring.datasource.url=jdbc:h2:mem:app")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("spring.datasource.url must be a jdbc:postgresql: URL"));
    }

    @Test
    void noUrlAnywhereFailsStartupNamingTheProperties() {
        this.runner.withPropertyValues("pg.broadcaster.channel=c")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.url is not set")
                .hasMessageContaining("spring.datasource.url"));
    }

    @Test
    void aBlankApplicationNameFailsStartup() {
        this.configured.withPropertyValues("pg.broadcaster.application-name= ")
            .run((context) -> assertThat(StartupFailures.invalidProperty(context)).hasMessageContaining("pg.broadcaster.application-name must not be blank"));
    }

    @Test
    void withFailFastAServerThatRefusesTheLoginFailsStartupWithoutShowingThePassword() {
        this.configured.withPropertyValues("pg.broadcaster.username=no_such_user_" + TestDatabase.uniqueName("u"),
                "pg.broadcaster.password=s3cret-Pa55", "pg.broadcaster.fail-fast=true")
            .run((context) -> {
                Throwable failure = StartupFailures.cause(context, PgBroadcaster.BroadcasterStartException.class);
                assertThat(failure).rootCause().isInstanceOf(SQLException.class);
                assertThat(failure).hasMessageContaining("could not LISTEN")
                    .hasMessageContaining(TestDatabase.get().jdbcUrl())
                    .hasMessageContaining("pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password");
                for (Throwable each = context.getStartupFailure(); each != null; each = each.getCause()) {
                    assertThat(each.getMessage()).doesNotContain("s3cret-Pa55");
                }
            });
    }

    @Test
    void withoutFailFastAServerThatRefusesTheLoginLetsTheApplicationStartAndWarnsWithoutShowingThePassword(
            CapturedOutput output) {
        this.configured.withPropertyValues("pg.broadcaster.username=no_such_user_" + TestDatabase.uniqueName("u"),
                "pg.broadcaster.password=s3cret-Pa55", "pg.broadcaster.reconnect.initial-delay=10m",
                "pg.broadcaster.reconnect.max-delay=10m")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean(PgBroadcaster.class).isRunning()).isTrue();
                assertThat(context.getBean(BroadcasterStatistics.class).connected()).isFalse();
                assertThat(output.getOut()).contains("pg-broadcaster could not LISTEN")
                    .contains(TestDatabase.get().jdbcUrl())
                    .contains("pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password")
                    .contains("keeps trying in the background")
                    .contains("pg.broadcaster.fail-fast=true")
                    .doesNotContain("s3cret-Pa55");
            });
    }


    // JdbcConnectionDetails moved package in Spring Boot 4: build one by name so the test runs on both.
    @SuppressWarnings("unchecked")
    private static Class<Object> jdbcConnectionDetailsType() {
        for (String name : new String[] { "org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails",
                "org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails" }) {
            if (ClassUtils.isPresent(name, null)) {
                return (Class<Object>) ClassUtils.resolveClassName(name, null);
            }
        }
        throw new IllegalStateException("No JdbcConnectionDetails on the classpath");
    }

    private static Object jdbcConnectionDetails() {
        Class<?> type = jdbcConnectionDetailsType();
        return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> switch (method.getName()) {
            case "getJdbcUrl" -> TestDatabase.get().jdbcUrl();
            case "getUsername" -> TestDatabase.get().username();
            case "getPassword" -> TestDatabase.get().password();
            case "toString" -> "test JdbcConnectionDetails";
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> method.isDefault() ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args) : null;
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class UserBroadcaster {

        final Broadcaster broadcaster = (callback) -> new Subscription() {

            @Override
            public void close() {
            }

            @Override
            public boolean isActive() {
                return true;
            }

        };

        @Bean
        Broadcaster userBroadcaster() {
            return this.broadcaster;
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class CountingConnectionFactory implements ListenerConnectionFactory {

        final AtomicInteger connections = new AtomicInteger();

        @Override
        public Connection connect() throws SQLException {
            this.connections.incrementAndGet();
            return TestDatabase.get().connect();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class UserStatistics {

        final BroadcasterStatistics statistics = new BroadcasterStatistics();

        @Bean
        BroadcasterStatistics userStatistics() {
            return this.statistics;
        }

    }

}
