package dev.pgbroadcaster;

import org.junit.jupiter.api.Test;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ChannelNameTests {

    @Test
    void aChannelNameWithADotIsListenedOnAsWritten() {
        assertDelivered("backend.table_change_" + Broadcasting.channel());
    }

    @Test
    void caseSpacesQuotesAndUnicodeAreKept() {
        assertDelivered("Backend \"Changes\" é " + Broadcasting.channel().substring(5));
    }

    @Test
    void aNameThatLooksLikeSqlIsOnlyEverAName() {
        assertDelivered("x\"; DROP TABLE t; --" + Broadcasting.channel().substring(12));
    }

    @Test
    void listensOnChannelAndChannelsTogether() {
        String first = Broadcasting.channel();
        String second = Broadcasting.channel();
        String third = Broadcasting.channel();
        Broadcasting.application(first)
            .withPropertyValues("pg.broadcaster.channels[0]=" + second, "pg.broadcaster.channels[1]=" + third)
            .withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                send(first, change("one", "INSERT"));
                send(second, change("two", "INSERT"));
                send(third, change("three", "INSERT"));
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.next(3))
                    .containsExactly(change("one", "INSERT"), change("two", "INSERT"), change("three", "INSERT"));
            });
    }

    @Test
    void quotingDoublesEmbeddedQuotes() {
        assertThat(ChannelNames.quote("backend.table_change")).isEqualTo("\"backend.table_change\"");
        assertThat(ChannelNames.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    }

    @Test
    void namesPostgresqlWouldTruncateOrRejectAreRefused() {
        assertThat(ChannelNames.problem("a".repeat(63))).isNull();
        assertThat(ChannelNames.problem("a".repeat(64))).contains("64 bytes");
        assertThat(ChannelNames.problem("é".repeat(32))).contains("64 bytes");
        assertThat(ChannelNames.problem("")).isNotNull();
        assertThat(ChannelNames.problem(" ")).isNotNull();
        assertThat(ChannelNames.problem("a\0b")).contains("NUL");
        assertThatIllegalArgumentException().isThrownBy(() -> ChannelNames.quote("a".repeat(64)));
    }

    private static void assertDelivered(String channel) {
        assertThat(ChannelNames.problem(channel)).isNull();
        Broadcasting.application(channel).withUserConfiguration(EventListenerDeliveryTests.Collecting.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                send(channel, change("orders", "INSERT"));
                assertThat(context.getBean(EventListenerDeliveryTests.Collecting.class).inbox.next())
                    .isEqualTo(change("orders", "INSERT"));
            });
    }

}
