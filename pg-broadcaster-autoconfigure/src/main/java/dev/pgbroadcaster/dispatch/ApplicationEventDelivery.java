package dev.pgbroadcaster.dispatch;

import java.util.Collection;

import dev.pgbroadcaster.BroadcasterObserver;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.event.SimpleApplicationEventMulticaster;
import org.springframework.context.event.SmartApplicationListener;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.core.ResolvableType;

/**
 * Publishes notifications to the application's event listeners, one listener at a time, so that a listener
 * that throws is logged and the listeners after it still receive the event.
 * <p>
 * {@code ApplicationContext.publishEvent} stops at the first listener that throws and gives no way to change
 * that for our events alone, so this keeps its own multicaster with the same listeners the context registered
 * (the same steps as {@code AbstractApplicationContext.registerListeners()}) and a logging error handler.
 * Ordering, {@code condition} expressions and event type matching are those of Spring's own multicaster.
 */
public final class ApplicationEventDelivery {

    private static final Log logger = LogFactory.getLog(ApplicationEventDelivery.class);

    private final ApplicationContext context;

    private final Multicaster multicaster;

    private final DeliveryObservations observations;

    private ApplicationEventDelivery(ApplicationContext context, Multicaster multicaster,
            DeliveryObservations observations) {
        this.context = context;
        this.multicaster = multicaster;
        this.observations = observations;
    }

    /**
     * Collects the listeners of {@code context} as they are now; call it once the context is refreshed.
     */
    public static ApplicationEventDelivery of(ApplicationContext context, BroadcasterObserver observer) {
        if (!(context instanceof AbstractApplicationContext application)) {
            return new ApplicationEventDelivery(context, null, DeliveryObservations.of(context));
        }
        Multicaster multicaster = new Multicaster(application, observer);
        for (ApplicationListener<?> listener : application.getApplicationListeners()) {
            multicaster.addApplicationListener(listener);
        }
        for (String name : application.getBeanNamesForType(ApplicationListener.class, true, false)) {
            multicaster.addApplicationListenerBean(name);
        }
        return new ApplicationEventDelivery(context, multicaster, DeliveryObservations.of(context));
    }

    /**
     * Returns how each delivery is observed.
     */
    DeliveryObservations observations() {
        return this.observations;
    }

    /**
     * Returns whether any listener takes {@code event} as the payload of an application event.
     */
    boolean hasListenersFor(Object event) {
        if (this.multicaster == null) {
            return true;
        }
        return !this.multicaster.listenersFor(new NotificationEvent<>(this.context, event)).isEmpty();
    }

    /**
     * Publishes a notification, or a connection event, as the payload of an application event.
     * @param recipients hears of each listener before it is called
     * @return whether every listener returned; one that threw has been logged and counted, and the others called
     */
    boolean publish(Object event, Recipients recipients) {
        if (this.multicaster != null) {
            return this.multicaster.multicast(new NotificationEvent<>(this.context, event), recipients);
        }
        this.context.publishEvent(event);
        return true;
    }

    /**
     * Returns what names {@code listener} in a log line: the id Spring gives it, which for an {@code @EventListener}
     * method is its class, name and parameter types, or else its class.
     */
    static String describe(Object listener) {
        if (listener instanceof SmartApplicationListener smart && !smart.getListenerId().isEmpty()) {
            return smart.getListenerId();
        }
        return listener.getClass().getName();
    }

    /**
     * Hears which listener, or subscriber, a delivery hands its event to, so that one that does not return can be
     * named.
     */
    interface Recipients {

        void handingTo(Object recipient);

    }

    /**
     * The application event that carries a notification: a {@link PayloadApplicationEvent} whose generic type is
     * worked out once per payload class, where Spring's own builds it afresh each time it is asked, which is
     * several times for every event and listener (about half the dispatch thread's time in the benchmark's profile).
     */
    private static final class NotificationEvent<T> extends PayloadApplicationEvent<T> {

        private static final ClassValue<Types> types = new ClassValue<>() {

            @Override
            protected Types computeValue(Class<?> payloadClass) {
                ResolvableType payload = ResolvableType.forClass(payloadClass);
                return new Types(payload, ResolvableType.forClassWithGenerics(PayloadApplicationEvent.class, payload));
            }

        };

        private final Types resolved;

        NotificationEvent(Object source, T payload) {
            this(source, payload, types.get(payload.getClass()));
        }

        private NotificationEvent(Object source, T payload, Types resolved) {
            super(source, payload, resolved.payload());
            this.resolved = resolved;
        }

        @Override
        public ResolvableType getResolvableType() {
            return this.resolved.event();
        }

        private record Types(ResolvableType payload, ResolvableType event) {
        }

    }

    /**
     * Spring's multicaster, with the listeners it would call for an event within reach.
     */
    private static final class Multicaster extends SimpleApplicationEventMulticaster {

        private final BroadcasterObserver observer;

        Multicaster(AbstractApplicationContext application, BroadcasterObserver observer) {
            super(application.getBeanFactory());
            this.observer = observer;
        }

        Collection<ApplicationListener<?>> listenersFor(ApplicationEvent event) {
            return getApplicationListeners(event, ResolvableType.forInstance(event));
        }

        // What multicastEvent does without a task executor and with an error handler that logs, telling each
        // listener's turn first and whether one threw.
        boolean multicast(ApplicationEvent event, Recipients recipients) {
            boolean allReturned = true;
            for (ApplicationListener<?> listener : listenersFor(event)) {
                recipients.handingTo(listener);
                try {
                    invokeListener(listener, event);
                }
                catch (Throwable ex) {
                    allReturned = false;
                    this.observer.listenerFailed();
                    logger.error("An application event listener threw while handling a pg-broadcaster event; "
                            + "the other listeners and later events are not affected", ex);
                }
            }
            return allReturned;
        }

    }

}
