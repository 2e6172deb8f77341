package dev.pgbroadcaster;

import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.testsupport.RestartablePostgresServer;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * When {@code pg.broadcaster.triggers.tables} is installed: whether beans are created lazily or not, and when the
 * database is down at startup, before the first {@link BroadcasterConnectedEvent}.
 */
@ExtendWith(OutputCaptureExtension.class)
class TriggerInstallationStartupTests {

    private final String channel = Broadcasting.channel();

    private final String table = TestDatabase.uniqueName("installed_lazily");

    @Test
    void withLazyInitializationTheTriggersAreInstalledAndChangesArrive() throws Exception {
        TestDatabase.get().execute("CREATE TABLE " + this.table + " (id int)");
        try (ConfigurableApplicationContext context = run(TestDatabase.get().jdbcUrl(),
                "--spring.main.lazy-initialization=true", "--pg.broadcaster.triggers.tables=" + this.table)) {
            assertThat(triggersOn(TestDatabase.get().jdbcUrl(), this.table)).isEqualTo(1);
            TestDatabase.get().execute("INSERT INTO " + this.table + " VALUES (1)");
            assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class))
                .isEqualTo(change(this.table, "INSERT"));
        }
    }

    @Test
    void withLazyInitializationATableThatDoesNotExistFailsStartupNamingTheProperty(CapturedOutput output) {
        assertThatException().isThrownBy(() -> run(TestDatabase.get().jdbcUrl(), "--spring.main.lazy-initialization=true",
                "--pg.broadcaster.triggers.tables=no_such_table").close());
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("pg.broadcaster.triggers.tables[0] names 'no_such_table', which does not exist");
    }

    @Test
    void whenTheDatabaseIsDownAtStartupTheTriggersAreInstalledBeforeTheFirstConnectedEvent(CapturedOutput output) {
        try (RestartablePostgresServer server = RestartablePostgresServer.create()) {
            server.start();
            server.execute("CREATE TABLE orders (id int)");
            server.stop();
            long starting = System.nanoTime();
            // Counted when the listener announces its connection.
            AtomicReference<Integer> triggersAtConnect = new AtomicReference<>();
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
                .withPropertyValues(server.datasourceProperties())
                .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.triggers.tables=orders",
                        "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=500ms")
                .withBean(EventRecorder.OnConnect.class, () -> (event) -> triggersAtConnect.set(triggersOn(server.jdbcUrl(), "orders")))
                .withUserConfiguration(DataSourceFromProperties.class, EventRecorder.class)
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    assertThat(output.getOut()).contains("pg-broadcaster could not install the triggers of "
                            + "pg.broadcaster.triggers.tables (orders): the database cannot be reached")
                        .contains("The application starts anyway")
                        .contains("pg.broadcaster.fail-fast=true");
                    assertThat(triggersAtConnect.get()).isNull();

                    server.start();
                    BroadcasterConnectedEvent connected = context.getBean(EventRecorder.class).next(BroadcasterConnectedEvent.class);
                    assertThat(connected.reconnect()).isFalse();
                    // Counted from startup, when it could not listen.
                    assertThat(connected.downtime()).isPositive()
                        .isLessThanOrEqualTo(java.time.Duration.ofNanos(System.nanoTime() - starting));
                    assertThat(triggersAtConnect.get()).isEqualTo(1);
                    assertThat(output.getOut()).contains("The database can be reached now: done, before listening, "
                            + "what was left to do at startup (install the triggers of pg.broadcaster.triggers.tables (orders))");
                    server.execute("INSERT INTO orders VALUES (1)");
                    assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class))
                        .isEqualTo(change("orders", "INSERT"));
                });
        }
    }

    @Test
    void whenTheDatabaseIsDownAtStartupWithFailFastStartupFailsNamingTheProperties(CapturedOutput output) {
        try (RestartablePostgresServer server = RestartablePostgresServer.create()) {
            assertThatException().isThrownBy(() -> run(server.jdbcUrl(), "--pg.broadcaster.triggers.tables=orders",
                    "--pg.broadcaster.fail-fast=true").close());
            assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("pg-broadcaster could not install the triggers of pg.broadcaster.triggers.tables (orders): "
                        + "the database cannot be reached")
                .contains("Check spring.datasource.url, spring.datasource.username and spring.datasource.password")
                .contains("remove pg.broadcaster.fail-fast=true")
                .doesNotContain("Error creating bean");
        }
    }

    private ConfigurableApplicationContext run(String url, String... args) {
        SpringApplication application = new SpringApplication(Application.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        String[] all = new String[args.length + 4];
        all[0] = "--spring.datasource.url=" + url;
        all[1] = "--spring.datasource.username=" + TestDatabase.get().username();
        all[2] = "--spring.datasource.password=" + TestDatabase.get().password();
        all[3] = "--pg.broadcaster.channel=" + this.channel;
        System.arraycopy(args, 0, all, 4, args.length);
        return application.run(all);
    }

    private static int triggersOn(String url, String table) {
        SimpleDriverDataSource dataSource = new SimpleDriverDataSource(new org.postgresql.Driver(), url,
                TestDatabase.get().username(), TestDatabase.get().password());
        return new JdbcTemplate(dataSource).queryForObject(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(?) AND NOT tgisinternal", Integer.class, table);
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(PgBroadcasterAutoConfiguration.class)
    @Import({ DataSourceFromProperties.class, EventRecorder.class })
    static class Application {

    }

    /**
     * The application's DataSource, from {@code spring.datasource.*}, without a pool: every use connects anew.
     */
    @Configuration(proxyBeanMethods = false)
    static class DataSourceFromProperties {

        @Bean
        DataSource dataSource(Environment environment) {
            return new SimpleDriverDataSource(new org.postgresql.Driver(), environment.getProperty("spring.datasource.url"),
                    environment.getProperty("spring.datasource.username"), environment.getProperty("spring.datasource.password"));
        }

        @Bean
        DataSourceTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

    }

}
