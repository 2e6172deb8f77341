package dev.pgbroadcaster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import brave.Tracing;
import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.ThreadLocalCurrentTraceContext;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.brave.bridge.BraveBaggageManager;
import io.micrometer.tracing.brave.bridge.BraveCurrentTraceContext;
import io.micrometer.tracing.brave.bridge.BravePropagator;
import io.micrometer.tracing.brave.bridge.BraveTracer;
import io.micrometer.tracing.brave.bridge.W3CPropagation;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

import static dev.pgbroadcaster.Broadcasting.change;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * Two applications on one database, each with Brave and W3C propagation as Spring Boot sets them up: one sends
 * with {@link PgNotifier}, the other receives, and the trace crosses from one to the other.
 */
@ExtendWith(OutputCaptureExtension.class)
class TracePropagationTests {

    private final String channel = Broadcasting.channel();

    private final String raw = Broadcasting.channel();

    @Test
    void theReceivingInstancesDeliveryContinuesTheSendersTrace() {
        instance(true).run((sender) -> instance(false).run((receiver) -> {
            Traces sent = sender.getBean(Traces.class);
            Span order = sent.tracer.nextSpan().name("place order").start();
            try (Tracer.SpanInScope scope = sent.tracer.withSpan(order)) {
                sender.getBean(PgNotifier.class).send(this.channel, change("orders", "INSERT"));
                sender.getBean(PgNotifier.class).send(this.raw, "order 42 placed");
            }
            finally {
                order.end();
            }
            Seen change = receiver.getBean(Listener.class).seen.next();
            Seen text = receiver.getBean(Listener.class).seen.next();
            // The listeners see what was sent, not the envelope, and run in the sender's trace.
            assertThat(change.event()).isEqualTo(change("orders", "INSERT"));
            assertThat(text.event()).isEqualTo(new RawNotification(this.raw, "order 42 placed", text.processId()));
            assertThat(change.traceId()).isEqualTo(order.context().traceId());
            assertThat(text.traceId()).isEqualTo(order.context().traceId());

            MutableSpan producer = sent.finished(this.channel + " send");
            assertThat(producer.kind()).isEqualTo(brave.Span.Kind.PRODUCER);
            assertThat(producer.parentId()).isEqualTo(order.context().spanId());
            assertThat(producer.remoteServiceName()).isEqualTo("postgresql");
            assertThat(producer.tag("pg.broadcaster.channel")).isEqualTo(this.channel);
            MutableSpan consumer = receiver.getBean(Traces.class).finished(this.channel + " receive");
            assertThat(consumer.kind()).isEqualTo(brave.Span.Kind.CONSUMER);
            assertThat(consumer.traceId()).isEqualTo(order.context().traceId());
            assertThat(consumer.parentId()).isEqualTo(producer.id());
            assertThat(consumer.localServiceName()).isNotEqualTo(producer.localServiceName());
        }));
    }

    @Test
    void throughTheJournalTheTraceCrossesToo() {
        String[] journal = { "pg.broadcaster.journal.enabled=true",
                "pg.broadcaster.journal.table=" + this.raw + "_journal" };
        ApplicationContextRunner receiving = instance(false).withPropertyValues(journal);
        instance(true).withPropertyValues(journal).run((sender) -> receiving.run((receiver) -> {
            Traces sent = sender.getBean(Traces.class);
            Span order = sent.tracer.nextSpan().name("place order").start();
            try (Tracer.SpanInScope scope = sent.tracer.withSpan(order)) {
                sender.getBean(PgNotifier.class).send(this.channel, change("orders", "UPDATE"));
            }
            finally {
                order.end();
            }
            Seen seen = receiver.getBean(Listener.class).seen.next();
            assertThat(seen.event()).isEqualTo(change("orders", "UPDATE"));
            assertThat(seen.traceId()).isEqualTo(order.context().traceId());
        }));
    }

    @Test
    void aNotificationFromSqlStartsATraceOfItsOwnAndItsPayloadIsUntouched() {
        instance(true).run((context) -> {
            Broadcasting.send(this.raw, "from psql");
            Seen seen = context.getBean(Listener.class).seen.next();
            assertThat(((RawNotification) seen.event()).payload()).isEqualTo("from psql");
            MutableSpan consumer = context.getBean(Traces.class).finished(this.raw + " receive");
            assertThat(consumer.parentId()).isNull();
            assertThat(consumer.traceId()).isEqualTo(seen.traceId());
        });
    }

    @Test
    void withoutPropagationTheNotifierSendsThePayloadAsItIsAndTheReceiverStartsANewTrace() {
        instance(false).run((context) -> {
            Traces traces = context.getBean(Traces.class);
            Span order = traces.tracer.nextSpan().name("place order").start();
            try (Tracer.SpanInScope scope = traces.tracer.withSpan(order)) {
                context.getBean(PgNotifier.class).send(this.raw, "order 43 placed");
            }
            finally {
                order.end();
            }
            Seen seen = context.getBean(Listener.class).seen.next();
            assertThat(((RawNotification) seen.event()).payload()).isEqualTo("order 43 placed");
            assertThat(seen.traceId()).isNotEqualTo(order.context().traceId());
            assertThat(traces.spans).extracting(MutableSpan::name).doesNotContain(this.raw + " send");
        });
    }

    @Test
    void aReceiverWithoutTracingOpensTheEnvelopeAlike() {
        instance(true).run((sender) -> plainInstance().run((receiver) -> {
            Traces sent = sender.getBean(Traces.class);
            Span order = sent.tracer.nextSpan().name("place order").start();
            try (Tracer.SpanInScope scope = sent.tracer.withSpan(order)) {
                sender.getBean(PgNotifier.class).send(this.raw, "order 44 placed");
            }
            finally {
                order.end();
            }
            assertThat(receiver.getBean(EventRecorder.class).next(RawNotification.class).payload())
                .isEqualTo("order 44 placed");
        }));
    }

    @Test
    void aPayloadThatFitsOnlyWithoutTheEnvelopeIsSentWithoutItAndAWarningSaysSo(CapturedOutput output) {
        instance(true).run((context) -> {
            Traces traces = context.getBean(Traces.class);
            String longest = "x".repeat(PgNotifier.MAX_PAYLOAD_BYTES);
            Span order = traces.tracer.nextSpan().name("place order").start();
            try (Tracer.SpanInScope scope = traces.tracer.withSpan(order)) {
                context.getBean(PgNotifier.class).send(this.raw, longest);
            }
            finally {
                order.end();
            }
            Seen seen = context.getBean(Listener.class).seen.next();
            assertThat(((RawNotification) seen.event()).payload()).isEqualTo(longest);
            assertThat(seen.traceId()).isNotEqualTo(order.context().traceId());
            assertThat(output).contains("Sent a notification on channel \"" + this.raw
                    + "\" without its trace context: with it the payload would be");
        });
    }

    @Test
    void aPayloadThatLooksLikeAnEnvelopeIsRefused() {
        instance(true).run((context) -> assertThatIllegalArgumentException()
            .isThrownBy(() -> context.getBean(PgNotifier.class).send(this.raw, "\u0001x:y\n\u0002z"))
            .withMessageContaining("starts with the character U+0001"));
    }

    @Test
    void propagationWithoutAnObservationRegistryIsReportedAtStartup(CapturedOutput output) {
        plainInstance().withPropertyValues("pg.broadcaster.observation.propagate=true").run((context) -> {
            assertThat(context).hasNotFailed();
            assertThat(output).contains("pg.broadcaster.observation.propagate=true, but the application has no single "
                    + "ObservationRegistry bean");
        });
    }

    private ApplicationContextRunner instance(boolean propagate) {
        return plainInstance().withPropertyValues("pg.broadcaster.observation.propagate=" + propagate)
            .withUserConfiguration(Traces.class, Listener.class);
    }

    private ApplicationContextRunner plainInstance() {
        return Broadcasting.application(this.channel)
            .withPropertyValues("pg.broadcaster.channels[0]=" + this.raw,
                    "pg.broadcaster.payload-types[0].channel=" + this.raw,
                    "pg.broadcaster.payload-types[0].type=raw")
            .withUserConfiguration(PgNotifierTests.Database.class, EventRecorder.class);
    }

    /** What a listener saw: the event, the trace it ran in and, for a raw notification, the sender's process. */
    record Seen(Object event, String traceId, int processId) {
    }

    @Configuration(proxyBeanMethods = false)
    static class Listener {

        final Inbox<Seen> seen = new Inbox<>();

        private final Tracer tracer;

        Listener(Traces traces) {
            this.tracer = traces.tracer;
        }

        @EventListener
        void on(ChangeNotification notification) {
            this.seen.add(new Seen(notification, this.tracer.currentSpan().context().traceId(), 0));
        }

        @EventListener
        void on(RawNotification notification) {
            if (notification.payload().startsWith("{")) {
                return; // the raw beside each ChangeNotification
            }
            String traceId = this.tracer.currentSpan().context().traceId();
            this.seen.add(new Seen(notification, traceId, notification.processId()));
        }

    }

    /**
     * Brave with W3C propagation and the tracing observation handlers, as Spring Boot's tracing auto-configuration
     * sets them up, each application under a service name of its own; keeps the finished spans.
     */
    @Configuration(proxyBeanMethods = false)
    static class Traces implements DisposableBean {

        private static final AtomicInteger instances = new AtomicInteger();

        final List<MutableSpan> spans = new CopyOnWriteArrayList<>();

        final Tracer tracer;

        private final Tracing tracing;

        Traces() {
            this.tracing = Tracing.newBuilder()
                .localServiceName("instance-" + instances.incrementAndGet())
                .propagationFactory(new W3CPropagation())
                .currentTraceContext(ThreadLocalCurrentTraceContext.create())
                .addSpanHandler(new SpanHandler() {

                    @Override
                    public boolean end(brave.propagation.TraceContext context, MutableSpan span, Cause cause) {
                        Traces.this.spans.add(span);
                        return true;
                    }

                })
                .build();
            this.tracer = new BraveTracer(this.tracing.tracer(),
                    new BraveCurrentTraceContext(this.tracing.currentTraceContext()), new BraveBaggageManager());
        }

        @Bean
        ObservationRegistry observationRegistry() {
            BravePropagator propagator = new BravePropagator(this.tracing);
            ObservationRegistry registry = ObservationRegistry.create();
            registry.observationConfig()
                .observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
                        new PropagatingSenderTracingObservationHandler<>(this.tracer, propagator),
                        new PropagatingReceiverTracingObservationHandler<>(this.tracer, propagator),
                        new DefaultTracingObservationHandler(this.tracer)));
            return registry;
        }

        @Override
        public void destroy() {
            this.tracing.close();
        }

        /** Waits for the span named {@code name} to finish. */
        MutableSpan finished(String name) {
            return await().atMost(Inbox.DEADLINE)
                .until(() -> this.spans.stream().filter((span) -> name.equals(span.name())).findFirst().orElse(null),
                        (span) -> span != null);
        }

    }

}
