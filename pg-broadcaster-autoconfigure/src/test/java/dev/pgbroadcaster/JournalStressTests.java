package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stress: concurrent writers through the journal, with transactions of random length, some of them taking their
 * row ids before the listener's session is ended and committing after it, some rolling back, while the session is
 * ended again and again. What arrives must be exactly what was committed: each committed change once, nothing
 * rolled back.
 */
class JournalStressTests {

    private static final int WRITERS = 8;

    private static final int KILLS = 20;

    private final String channel = Broadcasting.channel();

    private final String applicationName = TestDatabase.uniqueName("journal_stress");

    @Test
    void whatArrivesIsExactlyWhatWasCommittedWhileTheListenerIsKilledAgainAndAgain() {
        FaultScenario.withJournal(FaultScenario.application(this.channel))
            .withPropertyValues("pg.broadcaster.application-name=" + this.applicationName,
                    "pg.broadcaster.reconnect.initial-delay=50ms", "pg.broadcaster.reconnect.max-delay=1s")
            .run((context) -> {
                FaultScenario scenario = FaultScenario.in(context);
                try (Writers writers = new Writers(this.channel)) {
                    List<Duration> recoveries = killTheListenerWhile(writers, scenario.recorder());
                    writers.close();
                    awaitEveryCommitThenAGapAndACatchUp(writers.committed(), scenario);

                    assertThat(writers.failures()).as("writes that failed").isEmpty();
                    assertThat(writers.heldAcrossAFault()).as("transactions open across a fault").isPositive();
                    assertThat(writers.rolledBack()).as("changes rolled back").isNotEmpty();
                    Tally tally = new Tally(scenario.recorder().numbers(), writers.committed());
                    assertThat(tally.missing()).as("committed changes that never arrived").isEmpty();
                    assertThat(tally.twice()).as("changes that arrived more than once").isEmpty();
                    assertThat(tally.uncommitted()).as("changes that arrived though they were rolled back").isEmpty();
                    scenario.record(11, WRITERS + " writers at once, transactions of random length ("
                            + writers.heldAcrossAFault() + " took their row ids before a fault and committed after it, "
                            + writers.rolledBack().size() + " changes rolled back); listener session ended " + KILLS
                            + " times", "the termination", KILLS, recoveries.size(), recoveries, tally.committed(),
                            tally.delivered(), tally.missing().size(), tally.duplicates(),
                            "what arrived was exactly what was committed, nothing rolled back");
                }
            });
    }

    /**
     * Ends the listener's session {@link #KILLS} times, each after a random number of commits, waiting for it to
     * be back each time.
     * @return how long each recovery took
     */
    private List<Duration> killTheListenerWhile(Writers writers, EventRecorder recorder) {
        List<Duration> recoveries = new ArrayList<>();
        for (int i = 0; i < KILLS; i++) {
            long flowing = writers.committed().size() + ThreadLocalRandom.current().nextInt(50, 300);
            await().atMost(NumberedSender.DEADLINE).until(() -> writers.committed().size() >= flowing);
            long killed = System.nanoTime();
            assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
            writers.faultInjected();
            recoveries.add(Duration.ofNanos(recorder.awaitConnectedAfter(killed).nanos() - killed));
        }
        return recoveries;
    }

    /**
     * Waits until every committed change has arrived, then for a gap with nothing written, whose replay must hand
     * over nothing, and a whole catch-up after it: what either would bring twice comes before this returns.
     */
    private void awaitEveryCommitThenAGapAndACatchUp(Set<Long> committed, FaultScenario scenario) {
        EventRecorder recorder = scenario.recorder();
        await().atMost(Inbox.DEADLINE).until(() -> new HashSet<>(recorder.numbers()).containsAll(committed));
        long killed = System.nanoTime();
        assertThat(ListenerSessions.terminate(this.applicationName)).isTrue();
        assertThat(recorder.awaitConnectedAfter(killed).event().replayed()).isZero();
        long catchUps = scenario.statistics().catchUps();
        await().atMost(Inbox.DEADLINE).until(() -> scenario.statistics().catchUps() > catchUps + 1);
    }

    /**
     * What arrived against what was committed.
     */
    private static final class Tally {

        private final Map<Long, Integer> arrivals = new HashMap<>();

        private final Set<Long> committed;

        private final long arrived;

        Tally(List<Long> arrived, Set<Long> committed) {
            arrived.forEach((number) -> this.arrivals.merge(number, 1, Integer::sum));
            this.arrived = arrived.size();
            this.committed = committed;
        }

        long committed() {
            return this.committed.size();
        }

        long delivered() {
            return this.committed.stream().filter(this.arrivals::containsKey).count();
        }

        long duplicates() {
            return this.arrived - this.arrivals.size();
        }

        Set<Long> missing() {
            Set<Long> missing = new TreeSet<>(this.committed);
            missing.removeAll(this.arrivals.keySet());
            return missing;
        }

        Set<Long> twice() {
            Set<Long> twice = new TreeSet<>();
            this.arrivals.forEach((number, times) -> {
                if (times > 1) {
                    twice.add(number);
                }
            });
            return twice;
        }

        Set<Long> uncommitted() {
            Set<Long> uncommitted = new TreeSet<>(this.arrivals.keySet());
            uncommitted.removeAll(this.committed);
            return uncommitted;
        }

    }

    /**
     * Writers on threads of their own, each on its own connection to the test database, writing numbered changes
     * through the journal in transactions of one to three changes: most commit at once or after a moment, some (a
     * quarter of the writers at most) wait for the next fault before they commit, a few roll back.
     */
    private static final class Writers implements AutoCloseable {

        private static final String SEND = "SELECT pg_broadcaster_journal_write(?, ?)";

        private final String channel;

        private final AtomicLong numbers = new AtomicLong();

        private final AtomicLong faults = new AtomicLong();

        private final AtomicLong heldAcrossAFault = new AtomicLong();

        // The others go on committing, which is what the next fault waits for.
        private final Semaphore holdingAcross = new Semaphore(WRITERS / 4);

        private final Set<Long> committed = ConcurrentHashMap.newKeySet();

        private final Set<Long> rolledBack = ConcurrentHashMap.newKeySet();

        private final List<SQLException> failures = new ArrayList<>();

        private final List<Thread> threads = new ArrayList<>();

        private volatile boolean stopped;

        Writers(String channel) {
            this.channel = channel;
            for (int i = 0; i < WRITERS; i++) {
                Thread thread = new Thread(this::run, "journal-writer-" + i);
                thread.setDaemon(true);
                thread.start();
                this.threads.add(thread);
            }
        }

        Set<Long> committed() {
            return this.committed;
        }

        Set<Long> rolledBack() {
            return this.rolledBack;
        }

        long heldAcrossAFault() {
            return this.heldAcrossAFault.get();
        }

        synchronized List<SQLException> failures() {
            return List.copyOf(this.failures);
        }

        void faultInjected() {
            this.faults.incrementAndGet();
        }

        private void run() {
            try (Connection connection = TestDatabase.get().connect();
                    PreparedStatement send = connection.prepareStatement(SEND)) {
                connection.setAutoCommit(false);
                while (!this.stopped) {
                    transaction(connection, send);
                }
            }
            catch (SQLException ex) {
                synchronized (this) {
                    this.failures.add(ex);
                }
            }
        }

        private void transaction(Connection connection, PreparedStatement send) throws SQLException {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            List<Long> written = new ArrayList<>();
            long faultsBefore = this.faults.get();
            for (int i = random.nextInt(1, 4); i > 0; i--) {
                long number = this.numbers.incrementAndGet();
                send.setString(1, this.channel);
                send.setString(2, NumberedSender.notification(number).toString());
                send.execute();
                written.add(number);
            }
            int shape = random.nextInt(100);
            if (shape < 5) {
                connection.rollback();
                this.rolledBack.addAll(written);
                return;
            }
            if (shape < 15 && this.holdingAcross.tryAcquire()) {
                try {
                    awaitAFaultSince(faultsBefore);
                    // Some commit while the listener is away, some once it is back.
                    hold(random.nextInt(0, 150));
                }
                finally {
                    this.holdingAcross.release();
                }
            }
            else if (shape < 40) {
                hold(random.nextInt(1, 30));
            }
            connection.commit();
            if (this.faults.get() > faultsBefore) {
                this.heldAcrossAFault.incrementAndGet();
            }
            this.committed.addAll(written);
        }

        private void awaitAFaultSince(long faultsBefore) {
            long deadline = System.nanoTime() + Inbox.DEADLINE.toNanos();
            while (this.faults.get() == faultsBefore && !this.stopped && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        private static void hold(int millis) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
        }

        /**
         * Stops writing; once this returns every transaction has ended.
         */
        @Override
        public void close() throws InterruptedException {
            this.stopped = true;
            for (Thread thread : this.threads) {
                thread.join(NumberedSender.DEADLINE.toMillis());
            }
        }

    }

}
