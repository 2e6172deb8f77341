package dev.pgbroadcaster.trigger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

import javax.sql.DataSource;

import dev.pgbroadcaster.support.Identifiers;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Installs the shipped trigger function ({@value #SCRIPT}) and attaches it, as a statement-level trigger named
 * for the channel ({@link #triggerName(String)}), to each listed table, so that every INSERT, UPDATE, DELETE and
 * TRUNCATE notifies the channel. Safe to run at every start and from several instances at once: it works in one
 * transaction under an advisory lock, and leaves a table whose trigger already notifies the channel untouched, so
 * a busy table is not locked for nothing. Triggers that notify other channels are left as they are: another
 * application may listen there.
 */
public final class TriggerInstaller {

    /** The classpath resource that defines {@code pg_broadcaster_notify()}. */
    public static final String SCRIPT = "META-INF/pg-broadcaster/notify_table.sql";

    /**
     * The name of the trigger function, and of the triggers that earlier versions created; a trigger of that name
     * that notifies the channel is taken as in place. New triggers are named by {@link #triggerName(String)}.
     */
    public static final String TRIGGER = "pg_broadcaster_notify";

    // 63 bytes, less "pg_broadcaster_", "_" and eight hexadecimal digits.
    private static final int MAX_READABLE = 63 - 15 - 1 - 8;

    private static final Log logger = LogFactory.getLog(TriggerInstaller.class);

    // Serialises installers of several instances starting at once; any constant unlikely to clash will do.
    private static final long LOCK_KEY = 0x7067_6272_6f61_6463L;

    // pg_trigger.tgtype of AFTER ... FOR EACH STATEMENT on INSERT (4), DELETE (8), UPDATE (16) and TRUNCATE (32).
    private static final int STATEMENT_TRIGGER_TYPE = 4 | 8 | 16 | 32;

    private final JdbcTemplate jdbc;

    private final TransactionTemplate transaction;

    private final List<TableName> tables;

    private final String channel;

    /**
     * @param dataSource where the tables are
     * @param tables the tables, checked with {@link TableName#parse(String)}
     * @param channel the channel the triggers notify
     */
    public TriggerInstaller(DataSource dataSource, List<TableName> tables, String channel) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.tables = List.copyOf(tables);
        this.channel = channel;
    }

    /**
     * Installs the function and the triggers.
     * @throws IllegalStateException naming the table when one does not exist
     */
    public void install() {
        List<Attachment> attachments = this.transaction.execute((status) -> {
            this.jdbc.query("SELECT pg_advisory_xact_lock(?)", (result) -> null, LOCK_KEY);
            this.jdbc.execute(script());
            List<Attachment> each = new ArrayList<>();
            for (TableName table : this.tables) {
                each.add(attach(table));
            }
            return each;
        });
        report(attachments);
    }

    /**
     * Returns the name of the trigger that notifies {@code channel}: one per channel, so that applications that
     * listen on different channels can each have theirs on the same table. Readable, and at most 63 bytes.
     */
    public static String triggerName(String channel) {
        String readable = channel.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        if (readable.length() > MAX_READABLE) {
            readable = readable.substring(0, MAX_READABLE);
        }
        CRC32 checksum = new CRC32();
        checksum.update(channel.getBytes(StandardCharsets.UTF_8));
        return "pg_broadcaster_" + readable + "_" + String.format("%08x", checksum.getValue());
    }

    private Attachment attach(TableName table) {
        String qualified = table.quoted();
        Boolean exists = this.jdbc.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, qualified);
        if (!Boolean.TRUE.equals(exists)) {
            throw new MissingTableException(table);
        }
        // Every trigger on the table that runs the function, whoever made it (this installer, an earlier version of
        // it under the name pg_broadcaster_notify, or a migration), with the channel it notifies: tgargs holds each
        // argument followed by a NUL byte.
        List<ExistingTrigger> existing = this.jdbc.query("SELECT t.tgname, CASE WHEN t.tgnargs = 1 THEN "
                + "convert_from(substring(t.tgargs FROM 1 FOR length(t.tgargs) - 1), 'UTF8') END, "
                + "t.tgtype = ? AND t.tgenabled <> 'D', pg_get_triggerdef(t.oid) FROM pg_trigger t "
                + "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal "
                + "AND p.proname = 'pg_broadcaster_notify' ORDER BY t.tgname",
                (row, index) -> new ExistingTrigger(row.getString(1), row.getString(2), row.getBoolean(3), row.getString(4)),
                STATEMENT_TRIGGER_TYPE, qualified);
        List<String> otherChannels = existing.stream()
            .map(ExistingTrigger::channel)
            .filter((other) -> other != null && !other.equals(this.channel))
            .distinct()
            .toList();
        for (ExistingTrigger trigger : existing) {
            if (this.channel.equals(trigger.channel()) && trigger.complete()) {
                return new Attachment(table, trigger.name(), false, null, otherChannels);
            }
        }
        String name = triggerName(this.channel);
        String replaced = existing.stream()
            .filter((trigger) -> trigger.name().equals(name))
            .map(ExistingTrigger::definition)
            .findFirst()
            .orElse(null);
        if (replaced != null) {
            this.jdbc.execute("DROP TRIGGER " + Identifiers.quote(name) + " ON " + qualified);
        }
        this.jdbc.execute("CREATE TRIGGER " + Identifiers.quote(name) + " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                + qualified + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify(" + Identifiers.quoteLiteral(this.channel) + ")");
        return new Attachment(table, name, true, replaced, otherChannels);
    }

    private void report(List<Attachment> attachments) {
        List<String> attached = new ArrayList<>();
        List<String> inPlace = new ArrayList<>();
        for (Attachment attachment : attachments) {
            (attachment.created() ? attached : inPlace).add(attachment.table() + " (" + attachment.trigger() + ")");
        }
        StringBuilder line = new StringBuilder("Trigger function pg_broadcaster_notify() notifies channel ")
            .append(Identifiers.quote(this.channel)).append(" of changes to ").append(this.tables).append(": ");
        line.append(attached.isEmpty() ? "none attached now" : "attached now to " + String.join(", ", attached));
        line.append(inPlace.isEmpty() ? "" : "; already in place on " + String.join(", ", inPlace));
        for (Attachment attachment : attachments) {
            if (!attachment.otherChannels().isEmpty()) {
                line.append("; ").append(attachment.table()).append(" also notifies ")
                    .append(attachment.otherChannels().stream().map(Identifiers::quote).collect(Collectors.joining(", ")))
                    .append(" (left in place: another application may listen there)");
            }
        }
        logger.info(line);
        for (Attachment attachment : attachments) {
            if (attachment.replaced() != null) {
                logger.warn("Replaced the trigger " + attachment.trigger() + " on " + attachment.table()
                        + ", which was not what pg-broadcaster attaches (all four kinds of statement, enabled): it was "
                        + attachment.replaced());
            }
        }
    }

    private static String script() {
        try (InputStream in = TriggerInstaller.class.getClassLoader().getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("The trigger script " + SCRIPT + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read " + SCRIPT, ex);
        }
    }

    private record ExistingTrigger(String name, String channel, boolean complete, String definition) {

    }

    private record Attachment(TableName table, String trigger, boolean created, String replaced,
            List<String> otherChannels) {

    }

    /**
     * A table to attach the trigger to, as {@code table} or {@code schema.table}; each part is used as written
     * (quoted), so {@code Orders} and {@code orders} are different tables.
     *
     * @param schema the schema, or {@code null} for the first schema of the search path that has the table
     * @param table the table
     */
    public record TableName(String schema, String table) {

        /**
         * Reads {@code name}, a table or {@code schema.table}.
         * @throws IllegalArgumentException if it is not one of those
         */
        public static TableName parse(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("must name a table, as 'table' or 'schema.table'");
            }
            String trimmed = name.trim();
            int dot = trimmed.indexOf('.');
            if (dot < 0) {
                return new TableName(null, trimmed);
            }
            String schema = trimmed.substring(0, dot);
            String table = trimmed.substring(dot + 1);
            if (schema.isEmpty() || table.isEmpty() || table.indexOf('.') >= 0) {
                throw new IllegalArgumentException("'" + name + "' must be 'table' or 'schema.table'");
            }
            return new TableName(schema, table);
        }

        String quoted() {
            return (this.schema != null ? Identifiers.quote(this.schema) + "." : "") + Identifiers.quote(this.table);
        }

        @Override
        public String toString() {
            return (this.schema != null ? this.schema + "." : "") + this.table;
        }

    }

    /**
     * Thrown when a listed table does not exist.
     */
    public static final class MissingTableException extends IllegalStateException {

        private final TableName table;

        MissingTableException(TableName table) {
            super("Cannot attach the pg-broadcaster trigger to table '" + table + "': there is no such table "
                    + "(names are used as written, upper case included)");
            this.table = table;
        }

        public TableName getTable() {
            return this.table;
        }

    }

}
