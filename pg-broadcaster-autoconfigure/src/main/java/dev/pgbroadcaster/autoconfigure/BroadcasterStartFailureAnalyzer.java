package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.PgBroadcaster;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a listener that could not connect at startup with {@code pg.broadcaster.fail-fast=true} in Spring
 * Boot's "APPLICATION FAILED TO START" form. The message names the URL without its credentials.
 */
class BroadcasterStartFailureAnalyzer extends AbstractFailureAnalyzer<PgBroadcaster.BroadcasterStartException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PgBroadcaster.BroadcasterStartException cause) {
        String action = "Make sure PostgreSQL is running and reachable at that URL, and check pg.broadcaster.url, "
                + "pg.broadcaster.username and pg.broadcaster.password (or the spring.datasource settings they default to). "
                + "To let the application start while the database is down, and listen once it is back, remove "
                + "pg.broadcaster.fail-fast=true.";
        return new FailureAnalysis(cause.getMessage(), action, cause);
    }

}
