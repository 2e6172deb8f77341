package dev.pgbroadcaster.journal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class DoorbellTests {

    @Test
    void aDoorbellWithItsPayload() {
        assertThat(Doorbell.parse("P42/1234/6/orders{\"a\":1}")).isEqualTo(new Doorbell(42, 1234, "orders", "{\"a\":1}"));
    }

    @Test
    void aDoorbellWhosePayloadIsInTheRow() {
        assertThat(Doorbell.parse("R42/1234/6/orders")).isEqualTo(new Doorbell(42, 1234, "orders", null));
    }

    @Test
    void theChannelLengthCountsCharactersAsPostgresqlDoes() {
        // Two characters outside the basic plane, four UTF-16 units; the channel holds a slash too.
        String channel = "a/\uD83D\uDE00\uD83D\uDE01";
        Doorbell bell = Doorbell.parse("P1/2/4/" + channel + "/payload/");
        assertThat(bell.channel()).isEqualTo(channel);
        assertThat(bell.payload()).isEqualTo("/payload/");
    }

    @Test
    void anEmptyPayloadIsOne() {
        assertThat(Doorbell.parse("P1/2/1/c").payload()).isEmpty();
    }

    @Test
    void whatIsNotADoorbellIsRefused() {
        for (String text : new String[] { null, "", "P", "X1/2/1/c", "P1/2/c", "Pa/2/1/c", "P1/2/9/c", "P1/2/-1/c" }) {
            assertThatIllegalArgumentException().as(text).isThrownBy(() -> Doorbell.parse(text));
        }
    }

}
