package dev.pgbroadcaster.web;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The back-pressure tests of the Spring MVC endpoint, against the WebFlux one on Netty: a client that stops reading
 * stops asking for more, so its writer waits, its buffer fills and the overflow policy applies to it alone, while a
 * client beside it gets every event within the deadline; the client cap; closing the application.
 */
class WebFluxEventStreamBackPressureTests extends EventStreamBackPressureTests {

    @Override
    ConfigurableApplicationContext application(String... properties) {
        return EventStreamApplication.startReactive(EventStreamApplication.OpenReactive.class, properties);
    }

}
