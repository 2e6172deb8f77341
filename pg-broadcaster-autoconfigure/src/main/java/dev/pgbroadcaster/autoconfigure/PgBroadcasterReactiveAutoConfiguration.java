package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.ReactiveBroadcaster;
import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.reactive.FluxBroadcaster;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.util.function.SingletonSupplier;

/**
 * The reactive stream, with Reactor on the classpath: a {@link ReactiveBroadcaster} bean, a sink of the broadcaster,
 * whose subscribers' buffers follow {@code pg.broadcaster.dispatch.subscriber-queue-capacity} and
 * {@code overflow-policy}.
 */
@AutoConfiguration(after = PgBroadcasterAutoConfiguration.class)
@ConditionalOnClass(name = "reactor.core.publisher.Flux")
@ConditionalOnBean(PgBroadcaster.class)
public class PgBroadcasterReactiveAutoConfiguration {

    // Not built on the broadcaster, which finds it as a sink when it starts: so it can stop after it, once the
    // broadcaster has delivered what its dispatch queue held, and complete every Flux then.
    @Bean
    @ConditionalOnMissingBean(ReactiveBroadcaster.class)
    FluxBroadcaster pgBroadcasterReactive(PgBroadcasterProperties properties, ObjectProvider<PgBroadcaster> broadcaster) {
        BroadcasterSettings settings = BroadcasterSettingsMapping.settings(properties);
        return new FluxBroadcaster(settings.channels(), settings.dispatch().subscriberQueueCapacity(),
                settings.dispatch().overflowPolicy(), SingletonSupplier.of(() -> broadcaster.getObject().observer()));
    }

}
