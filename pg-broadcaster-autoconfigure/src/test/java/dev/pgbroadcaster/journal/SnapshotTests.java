package dev.pgbroadcaster.journal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class SnapshotTests {

    @Test
    void aTransactionIsSettledBelowXminAndBelowXmaxUnlessStillRunning() {
        Snapshot snapshot = Snapshot.parse("100:105:103,101");
        assertThat(snapshot.settled(99)).isTrue();
        assertThat(snapshot.settled(100)).isTrue();
        assertThat(snapshot.settled(101)).isFalse();
        assertThat(snapshot.settled(102)).isTrue();
        assertThat(snapshot.settled(103)).isFalse();
        assertThat(snapshot.settled(104)).isTrue();
        assertThat(snapshot.settled(105)).isFalse();
        assertThat(snapshot.inProgressArray()).isEqualTo("{101,103}");
        assertThat(snapshot.quiet()).isFalse();
        assertThat(snapshot).hasToString("100:105:101,103");
    }

    @Test
    void aQuietSnapshotHasNothingRunning() {
        Snapshot snapshot = Snapshot.parse("728:728:");
        assertThat(snapshot.quiet()).isTrue();
        assertThat(snapshot.inProgressArray()).isEqualTo("{}");
        assertThat(snapshot.settled(727)).isTrue();
        assertThat(snapshot.settled(728)).isFalse();
    }

    @Test
    void somethingElseIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> Snapshot.parse("100:105"));
        assertThatIllegalArgumentException().isThrownBy(() -> Snapshot.parse("a:b:"));
    }

}
