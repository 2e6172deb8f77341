package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.testsupport.PrimaryAndStandby;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault: the primary fails over to its streaming standby (fast shutdown of the primary, {@code pg_promote()} on the
 * standby) while notifications flow, under an application whose URL names both servers with
 * {@code targetServerType=primary}, as a user's would. One pair serves the class: each failover leaves the old
 * primary following the new one, so the next can fail back.
 * <p>
 * The bound on delivery resuming: the listener notices the lost connection within the liveness bound (interval +
 * timeout; at once here, since a fast shutdown ends its session with a message) and then tries again at most
 * {@code reconnect.max-delay} apart, each attempt going through the hosts in order until one is not in recovery. So
 * the {@link BroadcasterConnectedEvent} on the new primary arrives at most liveness bound + longest back-off after
 * the promotion, plus what an attempt and a replay take on a loaded machine, {@link #ATTEMPT_ALLOWANCE}.
 */
@ExtendWith(OutputCaptureExtension.class)
class FailoverTests {

    static final int FAILOVERS = 3;

    static final Duration LIVENESS_INTERVAL = Duration.ofSeconds(1);

    static final Duration LIVENESS_TIMEOUT = Duration.ofSeconds(5);

    static final Duration MAX_DELAY = Duration.ofSeconds(1);

    static final Duration ATTEMPT_ALLOWANCE = Duration.ofSeconds(3);

    /** From the end of the promotion to the connected event on the new primary. */
    static final Duration BOUND = LIVENESS_INTERVAL.plus(LIVENESS_TIMEOUT).plus(MAX_DELAY).plus(ATTEMPT_ALLOWANCE);

    private static final String FAULT = "Failover: the primary stopped (fast shutdown) and its streaming standby "
            + "promoted, " + FAILOVERS + " times while notifications flow; the listener's URL names both servers with "
            + "`targetServerType=primary`";

    private static PrimaryAndStandby pair;

    private final String channel = Broadcasting.channel();

    @BeforeAll
    static void startPair() {
        pair = PrimaryAndStandby.start();
    }

    @AfterAll
    static void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void deliveryResumesOnTheNewPrimaryAfterEveryFailoverAndTheConnectedEventNamesIt() {
        application().run((context) -> {
            FaultScenario scenario = FaultScenario.in(context)
                .sendingTo(pair.multiHostUrl(), pair.username(), "", this.channel);
            // Published through the dispatch queue: it may not have arrived yet.
            BroadcasterConnectedEvent first = scenario.recorder().next(BroadcasterConnectedEvent.class);
            assertThat(first.server()).isEqualTo(server(pair.primaryUrl()));
            assertThat(first.serverChanged()).isFalse();
            List<Switch> switches = new ArrayList<>();
            DeliveryAudit.Result result = scenario.injectAndFinish(FAILOVERS, 50, () -> switches.add(failover()));
            result.assertExactlyOnceWhileConnected();
            List<Duration> recoveries = assertEachResumedOnTheNewPrimaryInTime(scenario, switches);
            assertThat(scenario.statistics().reconnects()).isEqualTo(FAILOVERS);
            scenario.record(12, FAULT, measuredFrom(switches), FAILOVERS, recoveries.size(), recoveries, result.sent(),
                    result.delivered(), result.lost(), result.duplicates(), "the lost ones (" + result.lost() / FAILOVERS
                            + " a failover on average) were sent between the stop and the listener's LISTEN on the new "
                            + "primary; each connected event named the new primary, with `serverChanged()`");
        });
    }

    @Test
    void withTheJournalEveryCommitArrivesOnceAcrossFailoversAndEachReplaySaysItMayBeIncomplete(CapturedOutput output) {
        // The journal table is created on the primary through the listener's connection, and replicated.
        FaultScenario.withJournal(application()).run((context) -> {
            FaultScenario scenario = FaultScenario.in(context)
                .sendingTo(pair.multiHostUrl(), pair.username(), "", this.channel);
            List<Switch> switches = new ArrayList<>();
            DeliveryAudit.Result result = scenario.injectAndFinish(FAILOVERS, 50, () -> switches.add(failover()));
            // A fast shutdown sends the standby all the WAL before it stops: every acknowledged commit is on the new
            // primary, so every one of them arrives, once.
            result.assertExactlyOnce();
            List<Duration> recoveries = assertEachResumedOnTheNewPrimaryInTime(scenario, switches);
            for (Switch each : switches) {
                assertThat(connectedAfter(scenario, each).complete())
                    .as("a replay after a change of timeline cannot vouch for every transaction id").isFalse();
            }
            assertThat(output.getOut()).contains("may not have reached back to all that were written while the listener "
                    + "was away: the server is on timeline");
            scenario.record(12, FAULT, measuredFrom(switches), FAILOVERS, recoveries.size(), recoveries, result.sent(),
                    result.delivered(), result.lost(), result.duplicates(), "what was committed while the listener was away (on "
                            + "the old primary before it stopped, or on the new one before LISTEN) was replayed; each "
                            + "connected event had `complete()` false, with a warning, as after every change of timeline");
        });
    }

    /**
     * Checks that the first connected event after each switch came from the new primary within {@link #BOUND} of
     * its promotion, and returns how long after the stop of the old primary each came.
     */
    private static List<Duration> assertEachResumedOnTheNewPrimaryInTime(FaultScenario scenario, List<Switch> switches) {
        List<Duration> recoveries = new ArrayList<>();
        for (Switch each : switches) {
            EventRecorder.Arrival<BroadcasterConnectedEvent> back = scenario.recorder().awaitConnectedAfter(each.stopping());
            assertThat(back.event().server()).as("the server of the first connection after the failover")
                .isEqualTo(each.newPrimary());
            assertThat(back.event().serverChanged()).isTrue();
            assertThat(back.event().reconnect()).isTrue();
            long promoted = each.stopping() + each.failover().stopPrimary().plus(each.failover().promoteStandby()).toNanos();
            assertThat(Duration.ofNanos(back.nanos() - promoted)).as("from the promotion to the connected event")
                .isLessThanOrEqualTo(BOUND);
            recoveries.add(Duration.ofNanos(back.nanos() - each.stopping()));
        }
        return recoveries;
    }

    private static BroadcasterConnectedEvent connectedAfter(FaultScenario scenario, Switch each) {
        return scenario.recorder().awaitConnectedAfter(each.stopping()).event();
    }

    private static Switch failover() {
        // So that the time taken from here on is the failover's own.
        pair.awaitStandbyStreaming();
        String newPrimary = server(pair.standbyUrl());
        long stopping = System.nanoTime();
        PrimaryAndStandby.Failover failover = pair.failover();
        return new Switch(stopping, failover, newPrimary);
    }

    private static String measuredFrom(List<Switch> switches) {
        return "the stop of the primary (the stop took " + ReliabilityReport.median(switches.stream()
            .map((each) -> each.failover().stopPrimary())
            .toList()).toMillis() + " ms and the promotion " + ReliabilityReport.median(switches.stream()
                .map((each) -> each.failover().promoteStandby())
                .toList()).toMillis() + " ms of it, median)";
    }

    /**
     * Returns the host and port of a one-host URL, as the connected event names it.
     */
    static String server(String url) {
        String hostAndPort = url.substring("jdbc:postgresql://".length());
        return hostAndPort.substring(0, hostAndPort.indexOf('/'));
    }

    private ApplicationContextRunner application() {
        return FaultScenario.application(new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class)))
            .withPropertyValues(pair.datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + this.channel, "pg.broadcaster.reconnect.initial-delay=50ms",
                    "pg.broadcaster.reconnect.max-delay=" + MAX_DELAY.toMillis() + "ms",
                    "pg.broadcaster.liveness.interval=" + LIVENESS_INTERVAL.toMillis() + "ms",
                    "pg.broadcaster.liveness.timeout=" + LIVENESS_TIMEOUT.toMillis() + "ms");
    }

    /**
     * One failover: when the old primary began to stop ({@link System#nanoTime()}), how long each step took, and the
     * host and port of the new primary.
     */
    private record Switch(long stopping, PrimaryAndStandby.Failover failover, String newPrimary) {

    }

}
