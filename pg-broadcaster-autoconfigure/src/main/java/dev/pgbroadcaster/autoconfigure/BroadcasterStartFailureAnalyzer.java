package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.listening.ConnectionFailures;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a listener that could not connect at startup with {@code pg.broadcaster.fail-fast=true}, or triggers
 * that could not be installed because the database could not be reached, in Spring Boot's "APPLICATION FAILED TO
 * START" form. The message names the URL without its credentials, and the properties to check.
 */
class BroadcasterStartFailureAnalyzer extends AbstractFailureAnalyzer<PgBroadcaster.BroadcasterStartException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, PgBroadcaster.BroadcasterStartException cause) {
        if (ConnectionFailures.isStandby(cause)) {
            return new FailureAnalysis(cause.getMessage(), "Point the listener at the primary: list every server in "
                    + "pg.broadcaster.url (or spring.datasource.url) and add targetServerType=primary, so that it finds "
                    + "the primary at startup and follows a failover. To let the application start while no primary is "
                    + "reachable, remove pg.broadcaster.fail-fast=true.", cause);
        }
        String action = "Make sure PostgreSQL is running and reachable at that URL, and check the settings named above "
                + "(pg.broadcaster.url, pg.broadcaster.username and pg.broadcaster.password default to the "
                + "spring.datasource settings). To let the application start while the database is down, and listen once it is back, remove "
                + "pg.broadcaster.fail-fast=true.";
        return new FailureAnalysis(cause.getMessage(), action, cause);
    }

}
