package dev.pgbroadcaster.sample;

import dev.pgbroadcaster.ChangeNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Receives table changes the declarative way: every notification arrives as an application event.
 */
@Component
class ChangeLogger {

    private static final Logger logger = LoggerFactory.getLogger(ChangeLogger.class);

    @EventListener
    void on(ChangeNotification change) {
        logger.info("@EventListener got {}", change);
    }

}
