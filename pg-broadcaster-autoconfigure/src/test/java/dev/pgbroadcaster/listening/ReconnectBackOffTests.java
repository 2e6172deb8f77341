package dev.pgbroadcaster.listening;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.pgbroadcaster.listening.ReconnectBackOff;
import dev.pgbroadcaster.listening.RecoverySettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReconnectBackOffTests {

    @Test
    void withoutJitterTheDelaysDoubleUpToTheMaximum() {
        ReconnectBackOff.Execution delays = new ReconnectBackOff(settings(0.0, null)).start();
        List<Long> first = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            first.add(delays.nextDelayMillis());
        }
        assertThat(first).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L, 30000L);
    }

    @Test
    void jitterOnlyEverShortensADelayAndByNoMoreThanItsFraction() {
        ReconnectBackOff backOff = new ReconnectBackOff(settings(0.5, null));
        long[] expected = { 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
        boolean anyShortened = false;
        for (int run = 0; run < 200; run++) {
            ReconnectBackOff.Execution delays = backOff.start();
            for (long full : expected) {
                long delay = delays.nextDelayMillis();
                assertThat(delay).isBetween(full / 2, full);
                anyShortened |= delay < full;
            }
        }
        assertThat(anyShortened).isTrue();
    }

    @Test
    void afterMaxAttemptsThereIsNoFurtherDelay() {
        ReconnectBackOff backOff = new ReconnectBackOff(settings(0.0, 3));
        ReconnectBackOff.Execution delays = backOff.start();
        assertThat(delays.nextDelayMillis()).isEqualTo(500);
        assertThat(delays.nextDelayMillis()).isEqualTo(1000);
        assertThat(delays.nextDelayMillis()).isEqualTo(2000);
        assertThat(delays.nextDelayMillis()).isEqualTo(-1);
        // Each outage starts counting afresh.
        assertThat(backOff.start().nextDelayMillis()).isEqualTo(500);
    }

    private static RecoverySettings settings(double jitter, Integer maxAttempts) {
        return new RecoverySettings(false, Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, jitter, maxAttempts,
                Duration.ofSeconds(15), Duration.ofSeconds(5));
    }

}
