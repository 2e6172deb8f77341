package dev.pgbroadcaster.journal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.pgbroadcaster.support.InvalidSettingException;
import dev.pgbroadcaster.trigger.TriggerInstaller.TableName;

/**
 * How the journal is set up ({@code pg.broadcaster.journal.*}), checked once, here. A value out of range is
 * refused with an {@link InvalidSettingException} that names the property setting it.
 *
 * @param table the journal table, {@code table} or {@code schema.table}, each part used as written
 * @param initializeSchema whether the starter creates what is missing of the table and its functions
 * @param catchUpInterval how often the listener reads the journal for what no notification brought
 * @param retention how long rows are kept
 * @param cleanupInterval how often rows older than the retention are looked for
 * @param maxPayloadBytes the longest payload, in bytes of UTF-8, that may be written to the journal
 */
public record JournalSettings(TableName table, boolean initializeSchema, Duration catchUpInterval, Duration retention,
        Duration cleanupInterval, int maxPayloadBytes) {

    /** The default table name. */
    public static final String DEFAULT_TABLE = "pg_broadcaster_journal";

    /** The longest payload PostgreSQL's text holds, less room for the rest of the row. */
    private static final int LARGEST_PAYLOAD = 1024 * 1024 * 1024 - 1024 * 1024;

    // The indexes are named for the table: the longest suffix, "_created_at", must still fit in 63 bytes.
    private static final int LONGEST_TABLE_NAME = 63 - "_created_at".length();

    public JournalSettings {
        if (table == null) {
            throw new InvalidSettingException("pg.broadcaster.journal.table", "must name a table");
        }
        if (table.table().getBytes(StandardCharsets.UTF_8).length > LONGEST_TABLE_NAME) {
            throw new InvalidSettingException("pg.broadcaster.journal.table", "'" + table + "' is too long: the table "
                    + "name may have at most " + LONGEST_TABLE_NAME + " bytes, so that its indexes' names fit in 63");
        }
        requirePositive("pg.broadcaster.journal.catch-up-interval", catchUpInterval);
        requirePositive("pg.broadcaster.journal.retention", retention);
        requirePositive("pg.broadcaster.journal.cleanup-interval", cleanupInterval);
        if (retention.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidSettingException("pg.broadcaster.journal.retention", "must be at least 1s, but is " + retention);
        }
        if (maxPayloadBytes < 1 || maxPayloadBytes > LARGEST_PAYLOAD) {
            throw new InvalidSettingException("pg.broadcaster.journal.max-payload",
                    "must be between 1B and 1023MB, but is " + maxPayloadBytes + "B");
        }
    }

    /**
     * Returns the defaults: table {@value #DEFAULT_TABLE}, created when missing, a catch-up every second, rows
     * kept for an hour and looked for every minute, payloads of up to 1 MB.
     */
    public static JournalSettings defaults() {
        return new JournalSettings(TableName.parse(DEFAULT_TABLE), true, Duration.ofSeconds(1), Duration.ofHours(1),
                Duration.ofMinutes(1), 1024 * 1024);
    }

    private static void requirePositive(String property, Duration value) {
        if (value == null || value.compareTo(Duration.ofMillis(10)) < 0) {
            throw new InvalidSettingException(property, "must be at least 10ms, but is " + value);
        }
    }

}
