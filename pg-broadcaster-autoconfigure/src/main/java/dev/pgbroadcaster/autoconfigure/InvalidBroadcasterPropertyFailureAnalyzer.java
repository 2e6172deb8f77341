package dev.pgbroadcaster.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a missing or invalid {@code pg.broadcaster} property in Spring Boot's "APPLICATION FAILED TO START"
 * form, with the property to fix as the action.
 */
class InvalidBroadcasterPropertyFailureAnalyzer extends AbstractFailureAnalyzer<InvalidBroadcasterPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidBroadcasterPropertyException cause) {
        String description = "pg-broadcaster cannot start: " + cause.getProperty() + " " + cause.getProblem();
        String action = "Update your application's configuration: fix " + cause.getProperty()
                + " (in application.yml, application.properties, an environment variable or a command-line argument)"
                + ", or set pg.broadcaster.enabled=false if this application should not listen for notifications.";
        return new FailureAnalysis(description, action, cause);
    }

}
