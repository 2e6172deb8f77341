package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.actuate.BroadcasterHealth;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The {@code pgBroadcaster} health indicator of Spring Boot 4's Actuator, whose health API moved to
 * {@code org.springframework.boot.health.contributor}.
 */
class PgBroadcasterBoot4HealthIndicator implements HealthIndicator {

    private final BroadcasterHealth health;

    PgBroadcasterBoot4HealthIndicator(BroadcasterHealth health) {
        this.health = health;
    }

    @Override
    public Health health() {
        BroadcasterHealth.Report report = this.health.report();
        return Health.status(report.status()).withDetails(report.details()).build();
    }

}
