package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PgNotifierTests {

    private final String channel = "backend.\"events\"_" + Broadcasting.channel();

    private final String raw = Broadcasting.channel();

    @Test
    void aNotificationSentInATransactionArrivesWhenItCommits() {
        application().run((context) -> {
            PgNotifier notifier = context.getBean(PgNotifier.class);
            EventRecorder recorder = context.getBean(EventRecorder.class);
            ChangeNotification sentInside = change("orders", "INSERT");
            ChangeNotification sentMeanwhile = change("meanwhile", "INSERT");
            transaction(context).executeWithoutResult((status) -> {
                notifier.send(this.channel, sentInside);
                // Committed on its own while the transaction is still open: it overtakes the one inside.
                send(this.channel, sentMeanwhile);
                assertThat(recorder.next(ChangeNotification.class)).isEqualTo(sentMeanwhile);
            });
            assertThat(recorder.next(ChangeNotification.class)).isEqualTo(sentInside);
        });
    }

    @Test
    void aNotificationSentInATransactionThatRollsBackNeverArrives() {
        application().run((context) -> {
            PgNotifier notifier = context.getBean(PgNotifier.class);
            transaction(context).executeWithoutResult((status) -> {
                notifier.send(this.channel, change("rolled_back", "INSERT"));
                status.setRollbackOnly();
            });
            ChangeNotification sentinel = change("sentinel", "INSERT");
            notifier.send(this.channel, sentinel);
            assertThat(context.getBean(EventRecorder.class).upTo(ChangeNotification.class, sentinel))
                .containsExactly(sentinel);
        });
    }

    @Test
    void objectsAreSentAsJsonAndComeBackAsTheirChannelsType() {
        application().withPropertyValues("pg.broadcaster.payload-types[1].channel=" + this.raw + "_typed",
                "pg.broadcaster.channels[1]=" + this.raw + "_typed",
                "pg.broadcaster.payload-types[1].type=" + TypedPayloadTests.OrderShipped.class.getName())
            .run((context) -> {
                context.getBean(PgNotifier.class).send(this.raw + "_typed", new TypedPayloadTests.OrderShipped(42, "TRK-42"));
                assertThat(context.getBean(EventRecorder.class).next(TypedPayloadTests.OrderShipped.class))
                    .isEqualTo(new TypedPayloadTests.OrderShipped(42, "TRK-42"));
            });
    }

    @Test
    void aPayloadOfExactlyTheLimitIsSentAsItIs() {
        application().run((context) -> {
            String longest = "é".repeat((PgNotifier.MAX_PAYLOAD_BYTES - 1) / 2) + "x";
            context.getBean(PgNotifier.class).send(this.raw, longest);
            RawNotification received = context.getBean(EventRecorder.class).next(RawNotification.class);
            assertThat(received.channel()).isEqualTo(this.raw);
            assertThat(received.payload()).isEqualTo(longest);
        });
    }

    @Test
    void whatPostgresqlWouldRefuseIsRejectedBeforeTheDatabaseIsTouched() {
        application().run((context) -> {
            PgNotifier notifier = context.getBean(PgNotifier.class);
            AtomicInteger connections = context.getBean(CountingDataSource.class).connections;
            int before = connections.get();
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send(this.channel, "x".repeat(8000)))
                .withMessageContaining("8000 bytes")
                .withMessageContaining("at most 7999");
            assertThatIllegalArgumentException()
                .isThrownBy(() -> notifier.send(this.channel, "é".repeat(4000)))
                .withMessageContaining("8000 bytes in UTF-8");
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send("c".repeat(64), "{}"))
                .withMessageContaining("64 bytes");
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send(" ", "{}")).withMessageContaining("blank");
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send(this.channel, "a\0b"))
                .withMessageContaining("NUL");
            assertThatIllegalArgumentException().isThrownBy(() -> notifier.send(this.channel, new Object()))
                .withMessageContaining("cannot be written as JSON");
            assertThat(connections.get()).isEqualTo(before);
        });
    }

    @Test
    void withoutADataSourceThereIsNoNotifier() {
        Broadcasting.application(this.channel)
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(PgNotifier.class));
    }

    private ApplicationContextRunner application() {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.channels[0]=" + this.raw, "pg.broadcaster.payload-types[0].channel=" + this.raw,
                    "pg.broadcaster.payload-types[0].type=raw")
            .withUserConfiguration(Database.class, EventRecorder.class);
    }

    private static TransactionTemplate transaction(org.springframework.context.ApplicationContext context) {
        return new TransactionTemplate(context.getBean(DataSourceTransactionManager.class));
    }

    @Configuration(proxyBeanMethods = false)
    static class Database {

        @Bean
        CountingDataSource dataSource() throws SQLException {
            TestDatabase database = TestDatabase.get();
            return new CountingDataSource(new SimpleDriverDataSource(new org.postgresql.Driver(), database.jdbcUrl(),
                    database.username(), database.password()));
        }

        @Bean
        DataSourceTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

    }

    /**
     * The test database, counting the connections taken from it.
     */
    static class CountingDataSource extends DelegatingDataSource {

        final AtomicInteger connections = new AtomicInteger();

        CountingDataSource(DataSource target) {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            this.connections.incrementAndGet();
            return super.getConnection();
        }

    }

}
