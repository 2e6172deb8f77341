package dev.pgbroadcaster;

import java.util.List;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.propagation.Propagator;
import io.micrometer.tracing.test.simple.SimpleTracer;
import io.micrometer.tracing.test.simple.TracerAssert;
import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DeliveryObservationTests {

    private final String channel = Broadcasting.channel();

    @Test
    void eachDeliveryIsAnObservationInWhichTheListenersRun() {
        Broadcasting.application(this.channel).withUserConfiguration(Observed.class).run((context) -> {
            TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
            send(this.channel, change("orders", "INSERT"));
            assertThat(context.getBean(Observed.class).current.next()).isEqualTo("pg.broadcaster.delivery CONSUMER");
            // Stopped once the listeners have returned, just after the one above handed its observation over.
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(registry)
                .hasObservationWithNameEqualTo("pg.broadcaster.delivery")
                .that()
                .hasBeenStarted()
                .hasBeenStopped()
                .hasContextualNameEqualTo(this.channel + " receive")
                .hasLowCardinalityKeyValue("pg.broadcaster.channel", this.channel)
                .hasLowCardinalityKeyValue("pg.broadcaster.payload.type", "ChangeNotification")
                .hasLowCardinalityKeyValue("pg.broadcaster.outcome", "success"));
        });
    }

    @Test
    void aDeliveryWhoseListenerThrowsHasTheOutcomeFailureAndTheOtherListenersStillRun() {
        Broadcasting.application(this.channel).withUserConfiguration(Observed.class).run((context) -> {
            TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
            send(this.channel, change("failing", "DELETE"));
            assertThat(context.getBean(Observed.class).current.next()).isEqualTo("pg.broadcaster.delivery CONSUMER");
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(registry)
                .hasNumberOfObservationsWithNameEqualTo("pg.broadcaster.delivery", 1)
                .hasObservationWithNameEqualTo("pg.broadcaster.delivery")
                .that()
                .hasBeenStopped()
                .hasLowCardinalityKeyValue("pg.broadcaster.outcome", "failure"));
            assertThat(context.getBean(BroadcasterStatistics.class).listenerErrors()).isEqualTo(1);
        });
    }

    @Test
    void aChannelThatIsNotDecodedIsObservedWithTheRawType() {
        Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.payload-types[0].channel=" + this.channel,
                    "pg.broadcaster.payload-types[0].type=raw")
            .withUserConfiguration(Observed.class)
            .run((context) -> {
                TestObservationRegistry registry = context.getBean(TestObservationRegistry.class);
                send(this.channel, "not json");
                await().atMost(Inbox.DEADLINE).untilAsserted(() -> assertThat(registry)
                    .hasObservationWithNameEqualTo("pg.broadcaster.delivery")
                    .that()
                    .hasBeenStopped()
                    .hasLowCardinalityKeyValue("pg.broadcaster.payload.type", "RawNotification")
                    .hasLowCardinalityKeyValue("pg.broadcaster.outcome", "success"));
            });
    }

    @Test
    void withMicrometerTracingEachDeliveryIsAConsumerSpanNamedForItsChannel() {
        Broadcasting.application(this.channel).withUserConfiguration(Traced.class).run((context) -> {
            SimpleTracer tracer = context.getBean(SimpleTracer.class);
            send(this.channel, change("orders", "UPDATE"));
            await().atMost(Inbox.DEADLINE).untilAsserted(() -> TracerAssert.assertThat(tracer)
                .onlySpan()
                .hasNameEqualTo(this.channel + " receive")
                .hasKindEqualTo(Span.Kind.CONSUMER)
                .hasRemoteServiceNameEqualTo("postgresql")
                .hasTag("pg.broadcaster.channel", this.channel)
                .hasTag("pg.broadcaster.payload.type", "ChangeNotification")
                .hasTag("pg.broadcaster.outcome", "success")
                .isEnded());
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Traced {

        @Bean
        SimpleTracer tracer() {
            return new SimpleTracer();
        }

        @Bean
        ObservationRegistry observationRegistry(SimpleTracer tracer) {
            ObservationRegistry registry = ObservationRegistry.create();
            registry.observationConfig()
                .observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                        new PropagatingReceiverTracingObservationHandler<>(tracer, newTraces(tracer)),
                        new DefaultTracingObservationHandler(tracer)));
            return registry;
        }

        // Propagator.NOOP makes no-op spans; this one starts a new trace for whatever a carrier holds.
        private static Propagator newTraces(SimpleTracer tracer) {
            return new Propagator() {

                @Override
                public List<String> fields() {
                    return List.of();
                }

                @Override
                public <C> void inject(TraceContext context, C carrier, Setter<C> setter) {
                }

                @Override
                public <C> Span.Builder extract(C carrier, Getter<C> getter) {
                    return tracer.spanBuilder();
                }

            };
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class Observed {

        // What the listener sees as the current observation: its name and, for a receiver, its kind.
        final Inbox<String> current = new Inbox<>();

        private ObservationRegistry registry;

        @Bean
        TestObservationRegistry observationRegistry() {
            TestObservationRegistry registry = TestObservationRegistry.create();
            this.registry = registry;
            return registry;
        }

        @EventListener
        void on(ChangeNotification notification) {
            Observation observation = this.registry.getCurrentObservation();
            if (observation == null) {
                this.current.add("none");
            }
            else {
                this.current.add(observation.getContext().getName()
                        + ((observation.getContext() instanceof ReceiverContext<?> receiver) ? " " + receiver.getKind() : ""));
            }
        }

        @EventListener
        void thenThrow(ChangeNotification notification) {
            if (notification.table().equals("failing")) {
                throw new IllegalStateException("expected by the test");
            }
        }

    }

}
