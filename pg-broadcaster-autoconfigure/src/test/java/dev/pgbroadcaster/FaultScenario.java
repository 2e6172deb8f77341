package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;

import dev.pgbroadcaster.testsupport.TestDatabase;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

/**
 * What the fault tests share: an application with the {@link EventRecorder}, a {@link NumberedSender} whose
 * notifications a {@link DeliveryAudit} checks, faults injected while they flow, and the figures recorded for
 * docs/reliability.md, so that each fault test reads as: set up, inject the fault, assert.
 * <p>
 * An application {@link #withJournal with the journal} has the sender write through it, and its figures go to
 * the report's journal table.
 */
final class FaultScenario {

    private final ApplicationContext context;

    // Taken at once: a test may record its figures after closing the application.
    private final BroadcasterStatistics statistics;

    private DeliveryAudit audit;

    private FaultScenario(ApplicationContext context) {
        this.context = context;
        this.statistics = context.getBean(BroadcasterStatistics.class);
    }

    /**
     * The application of a fault test: {@code application} with the {@link EventRecorder}.
     */
    static ApplicationContextRunner application(ApplicationContextRunner application) {
        return application.withUserConfiguration(EventRecorder.class);
    }

    /**
     * The application of a fault test on the test database, listening on {@code channel}.
     */
    static ApplicationContextRunner application(String channel) {
        return application(Broadcasting.application(channel));
    }

    /**
     * {@code application} with the journal on: its table is created, by the listener's connection, on the
     * database the listener listens to.
     */
    static ApplicationContextRunner withJournal(ApplicationContextRunner application) {
        return application.withPropertyValues("pg.broadcaster.journal.enabled=true");
    }

    /**
     * The scenario in the running application {@code context}.
     */
    static FaultScenario in(ApplicationContext context) {
        return new FaultScenario(context);
    }

    EventRecorder recorder() {
        return this.context.getBean(EventRecorder.class);
    }

    BroadcasterStatistics statistics() {
        return this.statistics;
    }

    boolean journal() {
        return this.context.getEnvironment().getProperty("pg.broadcaster.journal.enabled", Boolean.class, false);
    }

    /**
     * How the application's changes are written: through the journal when it is on.
     */
    NumberedSender.Route route() {
        return journal() ? NumberedSender.Route.JOURNAL : NumberedSender.Route.NOTIFY;
    }

    /**
     * Starts sending numbered notifications on {@code channel} of the database at {@code url}, and the audit of
     * what is sent, from now on.
     */
    FaultScenario sendingTo(String url, String username, String password, String channel) {
        this.audit = new DeliveryAudit(new NumberedSender(url, username, password, channel, route()), recorder(),
                statistics());
        return this;
    }

    /**
     * Starts sending numbered notifications on {@code channel} of the test database.
     */
    FaultScenario sendingToTestDatabase(String channel) {
        TestDatabase database = TestDatabase.get();
        return sendingTo(database.jdbcUrl(), database.username(), database.password(), channel);
    }

    /**
     * Injects {@code fault} {@code times} times, each after {@code flowing} more notifications were sent and
     * waiting for the listener to be back after it; then lets {@code flowing} more be sent, stops the sender,
     * and audits the whole run.
     */
    DeliveryAudit.Result injectAndFinish(int times, int flowing, Fault fault) throws Exception {
        for (int i = 0; i < times; i++) {
            this.audit.letFlow(flowing);
            long injected = this.audit.faultInjected();
            fault.inject();
            this.audit.recovered(injected);
        }
        this.audit.letFlow(flowing);
        return this.audit.finish();
    }

    /**
     * Lets {@code flowing} notifications be sent without a fault, stops the sender and audits the run.
     */
    DeliveryAudit.Result finishAfter(int flowing) throws Exception {
        return injectAndFinish(0, flowing, () -> {
        });
    }

    /**
     * Records the figures of a fault the audit measured, as row {@code order} of the report's table for this
     * application: the journal's, with what it replayed, when it is on.
     */
    void record(int order, String fault, String recoveryFrom, DeliveryAudit.Result result, String note) {
        if (journal()) {
            ReliabilityFigures.journalFault(order, fault, recoveryFrom, result, statistics().replayed(), note);
        }
        else {
            ReliabilityFigures.fault(order, fault, recoveryFrom, result, note);
        }
    }

    /**
     * Records the figures of a fault the test worked out itself, as row {@code order} of the report's table for
     * this application.
     */
    void record(int order, String fault, String recoveryFrom, int injected, int recovered, List<Duration> recoveries,
            long sent, long delivered, long lost, long duplicates, String note) {
        if (journal()) {
            ReliabilityFigures.journalFault(order, fault, recoveryFrom, injected, recovered, recoveries, sent, delivered,
                    lost, duplicates, statistics().replayed(), note);
        }
        else {
            ReliabilityFigures.fault(order, fault, recoveryFrom, injected, recovered, recoveries, sent, delivered, lost,
                    duplicates, note);
        }
    }

    /**
     * One injection of a fault.
     */
    @FunctionalInterface
    interface Fault {

        void inject() throws Exception;

    }

}
