package dev.pgbroadcaster.sample;

import dev.pgbroadcaster.RawNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Receives the typed, cluster-wide event, and the raw notification behind it.
 */
@Component
class ShippingNotices {

    private static final Logger logger = LoggerFactory.getLogger(ShippingNotices.class);

    @EventListener
    void on(OrderShipped shipped) {
        logger.info("@EventListener got OrderShipped: order {} is on its way ({})", shipped.orderId(), shipped.trackingCode());
    }

    @EventListener(condition = "#raw.channel == 'order-events'")
    void on(RawNotification raw) {
        logger.info("Raw notification on {} from server process {}: {}", raw.channel(), raw.processId(), raw.payload());
    }

}
