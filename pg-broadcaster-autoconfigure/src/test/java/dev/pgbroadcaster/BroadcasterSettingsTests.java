package dev.pgbroadcaster;

import java.time.Duration;
import java.util.List;

import dev.pgbroadcaster.core.BroadcasterSettings;
import dev.pgbroadcaster.listening.RecoverySettings;
import dev.pgbroadcaster.support.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The broadcaster's settings, checked in one place, without a database: every refusal names the property.
 */
class BroadcasterSettingsTests {

    @Test
    void defaultsAreTheDocumentedOnesAndDuplicateChannelsAreDropped() {
        BroadcasterSettings settings = BroadcasterSettings.of(List.of("a", "b", "a"));
        assertThat(settings.channels()).containsExactly("a", "b");
        assertThat(settings.dispatch()).isEqualTo(new BroadcasterSettings.Dispatch(1, 10_000, OverflowPolicy.BLOCK, 1_000));
        assertThat(settings.recovery()).isEqualTo(RecoverySettings.defaults());
        assertThat(settings.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aBadChannelIsRefusedWithItsPlaceInTheList() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> BroadcasterSettings.of(List.of("fine", "x".repeat(64))))
            .satisfies((ex) -> {
                assertThat(ex.getProperty()).isEqualTo("pg.broadcaster.channels");
                assertThat(ex.getIndex()).isEqualTo(1);
                assertThat(ex.getProblem()).contains("64 bytes");
            });
        assertThatExceptionOfType(InvalidSettingException.class).isThrownBy(() -> BroadcasterSettings.of(List.of()))
            .withMessageContaining("pg.broadcaster.channel is not set");
    }

    @Test
    void valuesOutOfRangeAreRefusedNamingTheProperty() {
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> new BroadcasterSettings.Dispatch(0, 1, OverflowPolicy.BLOCK, 1))
            .withMessage("pg.broadcaster.dispatch.threads must be at least 1, but is 0");
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> new BroadcasterSettings.Dispatch(1, 1, null, 1))
            .withMessageContaining("pg.broadcaster.dispatch.overflow-policy");
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> new BroadcasterSettings(List.of("a"), null, null, Duration.ofSeconds(-1)))
            .withMessage("pg.broadcaster.shutdown-timeout must be zero or more");
        assertThatExceptionOfType(InvalidSettingException.class)
            .isThrownBy(() -> new RecoverySettings(false, Duration.ofSeconds(2), Duration.ofSeconds(1), 2.0, 0.5, null,
                    Duration.ofSeconds(15), Duration.ofSeconds(5)))
            .withMessageContaining("pg.broadcaster.reconnect.max-delay must not be shorter than");
    }

}
