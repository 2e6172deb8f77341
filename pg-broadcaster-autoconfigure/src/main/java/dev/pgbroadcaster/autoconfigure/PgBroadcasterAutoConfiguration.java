package dev.pgbroadcaster.autoconfigure;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.BroadcasterObserver;
import dev.pgbroadcaster.BroadcasterStatistics;
import dev.pgbroadcaster.ListenerConnectionFactory;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PayloadWriter;
import dev.pgbroadcaster.PgNotifier;
import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.dispatch.NotificationSink;
import dev.pgbroadcaster.journal.Journal;
import dev.pgbroadcaster.journal.JournalSettings;
import dev.pgbroadcaster.listening.Preparation;
import dev.pgbroadcaster.payload.Jackson2Payloads;
import dev.pgbroadcaster.payload.Jackson3Payloads;
import io.micrometer.observation.ObservationRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of pg-broadcaster: LISTENs on {@code pg.broadcaster.channel(s)} through a dedicated
 * connection and publishes each notification as an application event.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration",
        "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration" })
@ConditionalOnClass(name = "org.postgresql.PGConnection")
@Conditional(PgBroadcasterAutoConfiguration.OnJacksonCondition.class)
@ConditionalOnProperty(prefix = "pg.broadcaster", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(PgBroadcasterProperties.class)
@ImportRuntimeHints(PgBroadcasterRuntimeHints.class)
public class PgBroadcasterAutoConfiguration {

    private static final Log logger = LogFactory.getLog(PgBroadcasterAutoConfiguration.class);

    private static final String TRIGGER_INSTALLATION = "pgBroadcasterTriggerInstallation";

    @Bean
    @ConditionalOnMissingBean
    BroadcasterStatistics pgBroadcasterStatistics() {
        return new BroadcasterStatistics();
    }

    // Not needed, and its settings not checked, when the user brings a Broadcaster of their own.
    @Bean
    @ConditionalOnMissingBean({ ListenerConnectionFactory.class, Broadcaster.class })
    ListenerConnectionFactory pgBroadcasterConnectionFactory(PgBroadcasterProperties properties,
            ListableBeanFactory beanFactory, Environment environment) {
        return ListenerConnectionSettings.connectionFactory(properties, beanFactory, environment);
    }

    @Bean
    @ConditionalOnMissingBean(Broadcaster.class)
    PgBroadcaster pgBroadcaster(PgBroadcasterProperties properties, ListenerConnectionFactory connectionFactory,
            BroadcasterStatistics statistics, PayloadReader payloadReader, ObjectProvider<TriggerInstallation> triggers,
            ObjectProvider<BroadcasterObserver> observers, ObjectProvider<NotificationSink> sinks,
            ApplicationContext context) {
        BroadcasterSettings settings = BroadcasterSettingsMapping.settings(properties,
                BroadcasterSettingsMapping.threads(context.getEnvironment()));
        if (!properties.getTriggers().getTables().isEmpty() && !context.containsBean(TRIGGER_INSTALLATION)) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.tables", "needs the application's "
                    + "DataSource (spring-boot-starter-jdbc and spring.datasource.*), which this application does not have");
        }
        PgBroadcaster broadcaster = new PgBroadcaster(connectionFactory, settings, statistics);
        broadcaster.setPayloadDecoder(
                PayloadTypesProperties.decoder(properties, settings.channels(), payloadReader, context.getClassLoader()));
        // Done when the broadcaster starts rather than when a bean is created, so that it happens with lazy
        // initialization too, and can wait for a database that is down at startup.
        // Every observer bean, metrics and the application's own included, found when the broadcaster starts.
        broadcaster.setObservers(() -> observers.orderedStream().toList());
        // Likewise the sinks (the event stream to browsers), which depend on the broadcaster.
        broadcaster.setSinks(() -> sinks.orderedStream().toList());
        Preparation preparation = null;
        JournalSettings journalSettings = BroadcasterSettingsMapping.journal(properties);
        if (journalSettings != null) {
            Journal journal = new Journal(journalSettings, connectionFactory);
            broadcaster.setJournal(journal);
            if (journalSettings.initializeSchema()) {
                // Before the triggers, which write to it.
                preparation = new JournalInstallation(journal.table(), connectionFactory);
            }
        }
        TriggerInstallation installation = triggers.getIfAvailable();
        if (installation != null && !installation.isEmpty()) {
            preparation = (preparation != null) ? Preparation.inOrder(preparation, installation) : installation;
        }
        if (preparation != null) {
            broadcaster.setPreparation(preparation);
        }
        return broadcaster;
    }

    /**
     * Payloads read and written with the application's Jackson 3 {@code JsonMapper}, which Spring Boot 4 provides.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
    @ConditionalOnBean(type = "tools.jackson.databind.json.JsonMapper")
    static class Jackson3PayloadsConfiguration {

        @Bean
        @ConditionalOnMissingBean(PayloadReader.class)
        Jackson3Payloads pgBroadcasterPayloads(tools.jackson.databind.json.JsonMapper jsonMapper) {
            return new Jackson3Payloads(jsonMapper);
        }

    }

    /**
     * Otherwise, payloads read and written with the application's Jackson 2 {@code ObjectMapper}, or one set up as
     * Spring Boot would.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "com.fasterxml.jackson.databind.ObjectMapper")
    @ConditionalOnMissingBean(type = "tools.jackson.databind.json.JsonMapper")
    static class Jackson2PayloadsConfiguration {

        @Bean
        @ConditionalOnMissingBean(PayloadReader.class)
        Jackson2Payloads pgBroadcasterPayloads(ObjectProvider<ObjectMapper> objectMapper) {
            return new Jackson2Payloads(objectMapper.getIfAvailable(Jackson2Payloads::defaultMapper));
        }

    }

    /**
     * With Jackson 3 alone and no {@code JsonMapper} bean (an application without Spring Boot's Jackson
     * auto-configuration), payloads read and written with a Jackson 3 mapper set up as Spring Boot would.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
    @ConditionalOnMissingClass("com.fasterxml.jackson.databind.ObjectMapper")
    @ConditionalOnMissingBean(type = "tools.jackson.databind.json.JsonMapper")
    static class DefaultJackson3PayloadsConfiguration {

        @Bean
        @ConditionalOnMissingBean(PayloadReader.class)
        Jackson3Payloads pgBroadcasterPayloads() {
            return new Jackson3Payloads(Jackson3Payloads.defaultMapper());
        }

    }

    /**
     * Jackson 2 or Jackson 3: either reads the payloads. Spring Boot 4 applications may leave Jackson 2 out.
     */
    static final class OnJacksonCondition extends AnyNestedCondition {

        OnJacksonCondition() {
            super(ConfigurationPhase.PARSE_CONFIGURATION);
        }

        @ConditionalOnClass(name = "com.fasterxml.jackson.databind.ObjectMapper")
        static final class Jackson2 {

        }

        @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
        static final class Jackson3 {

        }

    }

    /**
     * What uses the application's DataSource: sending notifications (through the journal when it is on), which join
     * its transactions, and installing triggers.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.jdbc.core.JdbcTemplate")
    @ConditionalOnSingleCandidate(DataSource.class)
    static class JdbcConfiguration {

        @Bean
        @ConditionalOnMissingBean
        PgNotifier pgNotifier(DataSource dataSource, PayloadWriter payloadWriter, PgBroadcasterProperties properties,
                ObjectProvider<ObservationRegistry> observationRegistry) {
            JournalSettings journal = BroadcasterSettingsMapping.journal(properties);
            PgNotifier notifier = (journal != null)
                    ? PgNotifier.throughJournal(dataSource, payloadWriter, properties.getJournal().getTable(),
                            journal.maxPayloadBytes())
                    : new PgNotifier(dataSource, payloadWriter);
            if (!properties.getObservation().isPropagate()) {
                return notifier;
            }
            ObservationRegistry registry = observationRegistry.getIfUnique();
            if (registry == null) {
                logger.warn("pg.broadcaster.observation.propagate=true, but the application has no single "
                        + "ObservationRegistry bean (Spring Boot makes one with Actuator), so PgNotifier sends no trace "
                        + "context");
                return notifier;
            }
            return notifier.propagatingTraces(registry);
        }

        @Bean(TRIGGER_INSTALLATION)
        @DependsOnDatabaseInitialization
        TriggerInstallation pgBroadcasterTriggerInstallation(PgBroadcasterProperties properties, DataSource dataSource) {
            return TriggerInstallation.of(properties, BroadcasterSettingsMapping.settings(properties).channels(), dataSource);
        }

    }

}
