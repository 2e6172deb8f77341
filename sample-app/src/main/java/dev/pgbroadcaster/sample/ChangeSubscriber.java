package dev.pgbroadcaster.sample;

import dev.pgbroadcaster.Broadcaster;
import dev.pgbroadcaster.Subscription;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * Receives table changes the programmatic way, on its own thread, for as long as it is subscribed.
 */
@Component
class ChangeSubscriber {

    private static final Logger logger = LoggerFactory.getLogger(ChangeSubscriber.class);

    private final Subscription subscription;

    ChangeSubscriber(Broadcaster broadcaster) {
        // Subscribed before the broadcaster starts listening, so no notification escapes it.
        this.subscription = broadcaster.subscribe((change) -> logger.info("Subscriber got {}", change));
    }

    @PreDestroy
    void unsubscribe() {
        this.subscription.close();
    }

}
