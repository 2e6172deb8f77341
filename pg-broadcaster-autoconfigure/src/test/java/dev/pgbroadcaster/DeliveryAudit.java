package dev.pgbroadcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks, for a run in which faults are injected while numbered notifications flow, that every notification
 * whose commit returned while the listener was connected arrived exactly once, and counts what was sent,
 * delivered and lost.
 * <p>
 * The listener counts as connected from the moment a {@link BroadcasterConnectedEvent} arrives (LISTEN was issued
 * before it) until a fault is injected; a notification counts as committed in that time when it was sent after the
 * event arrived. Before each fault the audit waits until the last notification confirmed
 * so far has arrived, and takes that number as the end of the connected stretch: what the sender commits
 * between that moment and the fault, and during the fault, may be lost, since LISTEN/NOTIFY delivers at most
 * once.
 * <p>
 * A sender that writes through the journal ({@link NumberedSender.Route#JOURNAL}) is held to more: every
 * notification whose commit returned arrives exactly once, connected or not ({@link Result#assertExactlyOnce()}).
 * Its run ends only once all of them have arrived (or a deadline passed) and one more catch-up of the journal has
 * run, which would bring any that arrives twice.
 */
final class DeliveryAudit {

    private final NumberedSender sender;

    private final EventRecorder recorder;

    private final BroadcasterStatistics statistics;

    private final List<Long> stretchEnds = new ArrayList<>();

    private final List<Long> faults = new ArrayList<>();

    private final List<Duration> recoveries = new ArrayList<>();

    DeliveryAudit(NumberedSender sender, EventRecorder recorder, BroadcasterStatistics statistics) {
        this.sender = sender;
        this.recorder = recorder;
        this.statistics = statistics;
    }

    /**
     * Waits until {@code count} more notifications have been sent.
     */
    void letFlow(int count) {
        long target = this.sender.lastConfirmed() + count;
        Awaitility.await().atMost(NumberedSender.DEADLINE).until(() -> this.sender.lastConfirmed() >= target);
    }

    /**
     * Ends a connected stretch: waits until everything confirmed so far has arrived.
     * @return the moment the fault is injected, right after
     */
    long faultInjected() {
        long end = this.sender.lastConfirmed();
        this.recorder.awaitNumber(end);
        this.stretchEnds.add(end);
        long now = System.nanoTime();
        this.faults.add(now);
        return now;
    }

    /**
     * Waits for the listener to be back after the last fault, and records how long it took from {@code since}.
     */
    EventRecorder.Arrival<BroadcasterConnectedEvent> recovered(long since) {
        EventRecorder.Arrival<BroadcasterConnectedEvent> back = this.recorder.awaitConnectedAfter(this.faults.get(this.faults.size() - 1));
        this.recoveries.add(Duration.ofNanos(back.nanos() - since));
        return back;
    }

    List<Duration> recoveries() {
        return List.copyOf(this.recoveries);
    }

    /**
     * Stops the sender, waits for what it sent last, and checks the whole run.
     */
    Result finish() throws InterruptedException {
        this.sender.close();
        long end = this.sender.lastConfirmed();
        this.recorder.awaitNumber(end);
        this.stretchEnds.add(end);
        if (this.sender.route() == NumberedSender.Route.JOURNAL) {
            awaitEveryCommitAndACatchUp();
        }
        return audit();
    }

    private void awaitEveryCommitAndACatchUp() {
        Set<Long> confirmed = this.sender.confirmedAt().keySet();
        try {
            Awaitility.await().atMost(Inbox.DEADLINE).until(() -> new HashSet<>(this.recorder.numbers()).containsAll(confirmed));
        }
        catch (ConditionTimeoutException ex) {
            // The audit names what is missing.
            return;
        }
        // The one under way may have read the journal before the last arrival; the one after it has not.
        long catchUps = this.statistics.catchUps();
        Awaitility.await().atMost(Inbox.DEADLINE).until(() -> this.statistics.catchUps() > catchUps + 1);
    }

    private Result audit() {
        Map<Long, Long> confirmedAt = this.sender.confirmedAt();
        List<EventRecorder.Arrival<BroadcasterConnectedEvent>> connected = this.recorder.arrivals(BroadcasterConnectedEvent.class);
        Set<Long> seen = new HashSet<>();
        long duplicates = 0;
        long outOfOrder = 0;
        long outOfOrderWithinStretch = 0;
        long replayedLate = 0;
        long previous = 0;
        long previousInStretch = 0;
        long inStretch = 0;
        // A stretch is what arrives between two connection events: live deliveries, or one replayed batch.
        for (EventRecorder.Arrival<Object> arrival : this.recorder.arrivals(Object.class)) {
            if (arrival.event() instanceof ChangeNotification notification && NumberedSender.number(notification) >= 0) {
                long number = NumberedSender.number(notification);
                if (!seen.add(number)) {
                    duplicates++;
                }
                if (number <= previous) {
                    outOfOrder++;
                }
                if (number <= previousInStretch) {
                    outOfOrderWithinStretch++;
                }
                previous = number;
                previousInStretch = number;
                inStretch++;
            }
            else if (arrival.event() instanceof BroadcasterDisconnectedEvent) {
                previousInStretch = 0;
                inStretch = 0;
            }
            else if (arrival.event() instanceof BroadcasterConnectedEvent event) {
                // What it counts as replayed was handed over before it, since the gap began: fewer arrivals than
                // that means some came after it.
                replayedLate += Math.max(0, event.replayed() - inStretch);
                previousInStretch = 0;
                inStretch = 0;
            }
        }
        // Sent after the connected event arrived means committed after LISTEN; a commit that merely returned after
        // it may have happened before LISTEN on a busy machine.
        Map<Long, Long> sentAt = this.sender.sentAt();
        TreeSet<Long> missedWhileConnected = new TreeSet<>();
        for (int stretch = 0; stretch < this.stretchEnds.size(); stretch++) {
            long start = connectedAfter(connected, (stretch == 0) ? Long.MIN_VALUE : this.faults.get(stretch - 1));
            long end = this.stretchEnds.get(stretch);
            sentAt.forEach((number, sent) -> {
                if (sent - start > 0 && number <= end && !seen.contains(number)) {
                    missedWhileConnected.add(number);
                }
            });
        }
        long lostBeforeFault = 0;
        for (int fault = 0; fault < this.faults.size(); fault++) {
            long start = connectedAfter(connected, (fault == 0) ? Long.MIN_VALUE : this.faults.get(fault - 1));
            long injected = this.faults.get(fault);
            lostBeforeFault += confirmedAt.entrySet().stream()
                .filter((entry) -> sentAt.get(entry.getKey()) - start > 0 && entry.getValue() - injected < 0
                        && !seen.contains(entry.getKey()))
                .count();
        }
        long delivered = confirmedAt.keySet().stream().filter(seen::contains).count();
        long unconfirmedArrivals = seen.stream().filter((number) -> !confirmedAt.containsKey(number)).count();
        TreeSet<Long> missed = new TreeSet<>(confirmedAt.keySet());
        missed.removeAll(seen);
        return new Result(this.faults.size(), this.recoveries.size(), List.copyOf(this.recoveries), confirmedAt.size(),
                delivered, confirmedAt.size() - delivered, lostBeforeFault, duplicates, outOfOrder, outOfOrderWithinStretch,
                replayedLate, unconfirmedArrivals, missedWhileConnected, missed);
    }

    private static long connectedAfter(List<EventRecorder.Arrival<BroadcasterConnectedEvent>> connected, long after) {
        for (EventRecorder.Arrival<BroadcasterConnectedEvent> each : connected) {
            if (after == Long.MIN_VALUE || each.nanos() - after > 0) {
                return each.nanos();
            }
        }
        throw new AssertionError("No connected event after the fault");
    }

    /**
     * What a run came to.
     * @param injected faults injected
     * @param recovered faults after which the listener came back
     * @param recoveries how long each recovery took
     * @param sent notifications whose commit returned
     * @param delivered of those, how many arrived
     * @param lost of those, how many did not arrive (all sent around a fault)
     * @param lostBeforeFault of those lost, how many had been committed before the fault was injected (in the
     * moment between the last arrival the audit waited for and the fault)
     * @param duplicates arrivals of a notification that had arrived already
     * @param outOfOrder arrivals of a notification numbered lower than the one before
     * @param outOfOrderWithinStretch of those, how many came after one that arrived since the last connection event
     * (live between a connected event and the next fault, or in one replayed batch)
     * @param replayedLate notifications the {@link BroadcasterConnectedEvent}s count as replayed that had not arrived
     * by the event
     * @param unconfirmedArrivals notifications that arrived though their commit did not return (the server went
     * away between the commit and its answer)
     * @param missedWhileConnected notifications committed while the listener was connected that did not arrive
     * @param missed every notification whose commit returned that did not arrive
     */
    record Result(int injected, int recovered, List<Duration> recoveries, long sent, long delivered, long lost,
            long lostBeforeFault, long duplicates, long outOfOrder, long outOfOrderWithinStretch, long replayedLate,
            long unconfirmedArrivals, Set<Long> missedWhileConnected, Set<Long> missed) {

        void assertExactlyOnceWhileConnected() {
            assertThat(this.missedWhileConnected).as("notifications committed while connected that never arrived").isEmpty();
            assertThat(this.duplicates).as("notifications that arrived twice").isZero();
            assertThat(this.outOfOrder).as("notifications that arrived out of order").isZero();
            assertThat(this.recovered).as("faults recovered from").isEqualTo(this.injected);
            assertThat(this.delivered + this.lost).isEqualTo(this.sent);
        }

        /**
         * The journal's promise: every notification whose commit returned arrived once, connected or not; in order
         * within each stretch, each replayed batch before the connected event that counts it.
         */
        void assertExactlyOnce() {
            assertThat(this.missed).as("notifications whose commit returned that never arrived").isEmpty();
            assertThat(this.duplicates).as("notifications that arrived twice").isZero();
            assertThat(this.outOfOrderWithinStretch).as("notifications that arrived out of order within a stretch").isZero();
            assertThat(this.replayedLate).as("replayed notifications that arrived after their connected event").isZero();
            assertThat(this.recovered).as("faults recovered from").isEqualTo(this.injected);
            assertThat(this.delivered).isEqualTo(this.sent);
        }

    }

}
