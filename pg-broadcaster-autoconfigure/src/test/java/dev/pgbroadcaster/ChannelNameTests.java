package dev.pgbroadcaster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.pgbroadcaster.support.Identifiers;
import org.junit.jupiter.api.Test;

import org.springframework.core.env.MapPropertySource;

import static dev.pgbroadcaster.Broadcasting.change;
import static dev.pgbroadcaster.Broadcasting.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class ChannelNameTests {

    /** Names longer than PostgreSQL keeps: 64 one-byte, 32 two-byte and 16 four-byte characters. */
    private static final List<String> TOO_LONG = List.of("c".repeat(64), "é".repeat(32), "\uD83D\uDE80".repeat(16));

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
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                send(first, change("one", "INSERT"));
                send(second, change("two", "INSERT"));
                send(third, change("three", "INSERT"));
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, 3))
                    .containsExactly(change("one", "INSERT"), change("two", "INSERT"), change("three", "INSERT"));
            });
    }

    @Test
    void hostileNamesAreListenedOnAtOnceAndEachIsDeliveredToAsWritten() {
        String unique = Broadcasting.channel().substring(13);
        List<String> names = List.of("with.dots." + unique, "with spaces " + unique, "MixedCase" + unique,
                "a\"quote\"\"doubled" + unique, "x\"; DROP TABLE t; --" + unique, "'; SELECT pg_sleep(10); --" + unique,
                "$$ dollar $$" + unique, "back\\slash" + unique, "tab\tand\nnewline" + unique, "UNLISTEN *" + unique,
                "*" + unique, "  padded  " + unique, "ünïcødé 漢字 \uD83D\uDE80" + unique, "\u202Eright-to-left" + unique,
                "é".repeat((Identifiers.MAX_BYTES - unique.length()) / 2) + unique);
        assertThat(names).allSatisfy((name) -> assertThat(Identifiers.problem(name)).as(name).isNull());
        assertThat(names.get(names.size() - 1).getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeBetween(62, 63);
        Map<String, Object> properties = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            properties.put("pg.broadcaster.channels[" + i + "]", names.get(i));
        }
        Broadcasting.application(names.get(0))
            // Set as a property source, not as "key=value" text, which would trim the padded name.
            .withInitializer((context) -> context.getEnvironment().getPropertySources()
                .addFirst(new MapPropertySource("hostile-channel-names", properties)))
            .withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                List<ChangeNotification> sent = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    ChangeNotification notification = change("channel_" + i, "INSERT");
                    send(names.get(i), notification);
                    sent.add(notification);
                }
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class, names.size()))
                    .isEqualTo(sent);
            });
        ReliabilityFigures.hostileChannelNames(names.size(), TOO_LONG.size());
    }

    @Test
    void namesPostgresqlWouldTruncateFailStartupNamingTheProperty() {
        for (int i = 0; i < TOO_LONG.size(); i++) {
            String name = TOO_LONG.get(i);
            Broadcasting.application(Broadcasting.channel())
                .withPropertyValues("pg.broadcaster.channels[0]=ok", "pg.broadcaster.channels[1]=" + name)
                .run((context) -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("pg.broadcaster.channels[1]")
                        .hasMessageContaining("bytes long in UTF-8")
                        .hasMessageContaining("63 bytes");
                });
        }
    }

    @Test
    void quotingDoublesEmbeddedQuotes() {
        assertThat(Identifiers.quote("backend.table_change")).isEqualTo("\"backend.table_change\"");
        assertThat(Identifiers.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    }

    @Test
    void namesPostgresqlWouldTruncateOrRejectAreRefused() {
        assertThat(Identifiers.problem("a".repeat(63))).isNull();
        assertThat(Identifiers.problem("a".repeat(64))).contains("64 bytes");
        assertThat(Identifiers.problem("é".repeat(32))).contains("64 bytes");
        assertThat(Identifiers.problem("")).isNotNull();
        assertThat(Identifiers.problem(" ")).isNotNull();
        assertThat(Identifiers.problem("a\0b")).contains("NUL");
        assertThatIllegalArgumentException().isThrownBy(() -> Identifiers.quote("a".repeat(64)));
    }

    private static void assertDelivered(String channel) {
        assertThat(Identifiers.problem(channel)).isNull();
        Broadcasting.application(channel).withUserConfiguration(EventRecorder.class)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                send(channel, change("orders", "INSERT"));
                assertThat(context.getBean(EventRecorder.class).next(ChangeNotification.class))
                    .isEqualTo(change("orders", "INSERT"));
            });
    }

}
