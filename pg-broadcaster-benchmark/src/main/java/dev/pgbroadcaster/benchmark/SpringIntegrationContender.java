package dev.pgbroadcaster.benchmark;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.jdbc.PgConnection;

import org.springframework.core.io.ClassPathResource;
import org.springframework.integration.jdbc.channel.PostgresChannelMessageTableSubscriber;
import org.springframework.integration.jdbc.channel.PostgresSubscribableChannel;
import org.springframework.integration.jdbc.store.JdbcChannelMessageStore;
import org.springframework.integration.jdbc.store.channel.PostgresChannelMessageStoreQueryProvider;
import org.springframework.integration.support.MessageBuilder;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * Spring Integration's Postgres channel set up as its reference documentation describes: a
 * {@link JdbcChannelMessageStore} with the Postgres query provider, its schema plus the notify trigger that the
 * schema ships commented out, one {@link PostgresChannelMessageTableSubscriber} on a dedicated connection, and a
 * {@link PostgresSubscribableChannel}. Sending is {@code channel.send(message)}: a row insert whose trigger
 * notifies the subscriber, which then reads the row back and dispatches it.
 */
final class SpringIntegrationContender implements Contender {

    private static final String NOTIFY_TRIGGER = """
            CREATE OR REPLACE FUNCTION INT_CHANNEL_MESSAGE_NOTIFY_FCT() RETURNS TRIGGER AS $$
            BEGIN
                PERFORM pg_notify('int_channel_message_notify', NEW.REGION || ' ' || NEW.GROUP_KEY);
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS INT_CHANNEL_MESSAGE_NOTIFY_TRG ON INT_CHANNEL_MESSAGE;
            CREATE TRIGGER INT_CHANNEL_MESSAGE_NOTIFY_TRG AFTER INSERT ON INT_CHANNEL_MESSAGE
                FOR EACH ROW EXECUTE FUNCTION INT_CHANNEL_MESSAGE_NOTIFY_FCT();
            """;

    @Override
    public String name() {
        return "Spring Integration";
    }

    @Override
    public boolean receivesNotify() {
        return false;
    }

    @Override
    public boolean fansOut() {
        return false;
    }

    @Override
    public Running start(Database database, String channel, int listeners, Recorder recorder) throws Exception {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(database.url);
        dataSource.setUsername(database.username);
        dataSource.setPassword(database.password);
        dataSource.setMaximumPoolSize(4);
        createSchemaOnce(database, dataSource);
        JdbcChannelMessageStore store = new JdbcChannelMessageStore(dataSource);
        store.setChannelMessageStoreQueryProvider(new PostgresChannelMessageStoreQueryProvider());
        store.afterPropertiesSet();
        PostgresChannelMessageTableSubscriber subscriber = new PostgresChannelMessageTableSubscriber(
                () -> database.connect("pg-broadcaster-benchmark-spring-integration", false)
                    .unwrap(PgConnection.class));
        PostgresSubscribableChannel messageChannel = new PostgresSubscribableChannel(store, channel, subscriber);
        messageChannel.setBeanName(channel);
        messageChannel.afterPropertiesSet();
        messageChannel.subscribe((message) -> {
            BenchEvent event = (BenchEvent) message.getPayload();
            for (int listener = 0; listener < listeners; listener++) {
                recorder.deliver(listener, event.seq(), event.sentNanos());
            }
        });
        subscriber.start();
        return new Running() {

            @Override
            public Sender newSender() {
                return new Sender() {

                    @Override
                    public void send(long seq) {
                        messageChannel.send(MessageBuilder.withPayload(new BenchEvent(seq, System.nanoTime())).build());
                    }

                    @Override
                    public void close() {
                    }

                };
            }

            @Override
            public void close() throws InterruptedException {
                try {
                    subscriber.stop();
                }
                catch (IllegalStateException ex) {
                    // Its stop gives up after a few seconds when the machine is busy; what was measured stands.
                    System.out.println("Spring Integration's subscriber did not stop cleanly: " + ex.getMessage());
                }
                awaitDispatchers();
                messageChannel.destroy();
                dataSource.close();
            }

        };
    }

    /**
     * The channel's default executor starts a thread per notification; those still polling the store must
     * finish before the data source closes under them.
     */
    private static void awaitDispatchers() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && Thread.getAllStackTraces()
            .keySet()
            .stream()
            .anyMatch((thread) -> thread.getName().startsWith("dispatcher-") && thread.isAlive())) {
            Thread.sleep(10);
        }
    }

    private static void createSchemaOnce(Database database, HikariDataSource dataSource) throws SQLException {
        if (!database.tableExists("int_channel_message")) {
            new ResourceDatabasePopulator(
                    new ClassPathResource("org/springframework/integration/jdbc/schema-postgresql.sql"))
                .execute(dataSource);
        }
        database.execute(NOTIFY_TRIGGER);
        database.execute("TRUNCATE INT_CHANNEL_MESSAGE");
    }

}
