package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.actuate.BroadcasterHealth;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The {@code pgBroadcaster} health indicator of Spring Boot 3's Actuator.
 */
class PgBroadcasterHealthIndicator implements HealthIndicator {

    private final BroadcasterHealth health;

    PgBroadcasterHealthIndicator(BroadcasterHealth health) {
        this.health = health;
    }

    @Override
    public Health health() {
        BroadcasterHealth.Report report = this.health.report();
        return Health.status(report.status()).withDetails(report.details()).build();
    }

}
