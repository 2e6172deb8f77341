package dev.pgbroadcaster.trigger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

import javax.sql.DataSource;

import dev.pgbroadcaster.support.ClasspathScripts;
import dev.pgbroadcaster.support.Identifiers;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Installs the shipped trigger function ({@value #SCRIPT}) and attaches it, as a statement-level trigger named
 * for the channel ({@link #triggerName(String)}), to each listed table, so that every INSERT, UPDATE, DELETE and
 * TRUNCATE notifies the channel; or, at {@link Level#ROW}, as a row-level trigger for the first three and a
 * statement-level one for TRUNCATE ({@link #truncateTriggerName(String)}), both enabled {@code ALWAYS}, which is
 * what fires on a logical replication subscriber. Safe to run at every start and from several instances at once: it
 * works in one transaction under an advisory lock, and leaves a table whose triggers already notify the channel as
 * asked untouched, so a busy table is not locked for nothing; other triggers that notify the channel (of the other
 * level, with or without the journal, or incomplete) are replaced. Triggers that notify other channels are left as
 * they are: another application may listen there.
 */
public final class TriggerInstaller {

    /** The classpath resource that defines {@code pg_broadcaster_notify()}. */
    public static final String SCRIPT = "META-INF/pg-broadcaster/notify_table.sql";

    /** The classpath resource that defines the functions that write to the journal. */
    public static final String JOURNAL_SCRIPT = "META-INF/pg-broadcaster/journal_functions.sql";

    /**
     * The name of the trigger function, and of the triggers that earlier versions created; a trigger of that name
     * that notifies the channel is taken as in place. New triggers are named by {@link #triggerName(String)}.
     */
    public static final String TRIGGER = "pg_broadcaster_notify";

    /** The trigger function that writes to the journal, defined by the journal's functions script. */
    public static final String JOURNAL_FUNCTION = "pg_broadcaster_journal_notify";

    // 63 bytes, less "pg_broadcaster_", "_" and eight hexadecimal digits.
    private static final int MAX_READABLE = 63 - 15 - 1 - 8;

    private static final Log logger = LogFactory.getLog(TriggerInstaller.class);

    /**
     * The advisory lock that serialises what instances starting at once install (triggers, the journal); any
     * constant unlikely to clash will do.
     */
    public static final long LOCK_KEY = 0x7067_6272_6f61_6463L;

    // pg_trigger.tgtype bits: FOR EACH ROW (1; none for a statement, or for AFTER), INSERT (4), DELETE (8),
    // UPDATE (16), TRUNCATE (32).
    private static final int ROW = 1;

    private static final int INSERT_DELETE_UPDATE = 4 | 8 | 16;

    private static final int TRUNCATE = 32;

    private static final String TRUNCATE_KIND = "truncate_";

    private final JdbcTemplate jdbc;

    private final TransactionTemplate transaction;

    private final List<TableName> tables;

    private final String channel;

    /** The journal table as SQL, or {@code null} for plain notifications. */
    private final String journal;

    /** The function the triggers run. */
    private final String function;

    /** The arguments the triggers pass it. */
    private final List<String> arguments;

    private final Level level;

    /** The triggers each table gets. */
    private final List<Wanted> wanted;

    /**
     * @param dataSource where the tables are
     * @param tables the tables, checked with {@link TableName#parse(String)}
     * @param channel the channel the triggers notify
     */
    public TriggerInstaller(DataSource dataSource, List<TableName> tables, String channel) {
        this(dataSource, tables, channel, null);
    }

    /**
     * @param dataSource where the tables are
     * @param tables the tables, checked with {@link TableName#parse(String)}
     * @param channel the channel the triggers notify
     * @param journal the journal table the triggers write to ({@value #JOURNAL_FUNCTION}), or {@code null} for
     * triggers that notify ({@value #TRIGGER})
     */
    public TriggerInstaller(DataSource dataSource, List<TableName> tables, String channel, TableName journal) {
        this(dataSource, tables, channel, journal, Level.STATEMENT);
    }

    /**
     * @param dataSource where the tables are
     * @param tables the tables, checked with {@link TableName#parse(String)}
     * @param channel the channel the triggers notify
     * @param journal the journal table the triggers write to ({@value #JOURNAL_FUNCTION}), or {@code null} for
     * triggers that notify ({@value #TRIGGER})
     * @param level how the triggers fire
     * @throws IllegalArgumentException for {@link Level#ROW} with a journal, which has no row-level variant
     */
    public TriggerInstaller(DataSource dataSource, List<TableName> tables, String channel, TableName journal,
            Level level) {
        if (journal != null && level == Level.ROW) {
            throw new IllegalArgumentException("The journal's trigger has no row-level variant");
        }
        this.jdbc = new JdbcTemplate(dataSource);
        this.transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.tables = List.copyOf(tables);
        this.channel = channel;
        this.journal = (journal != null) ? journal.quoted() : null;
        this.function = (journal != null) ? JOURNAL_FUNCTION : TRIGGER;
        this.arguments = (journal != null) ? List.of(channel, this.journal) : List.of(channel);
        this.level = level;
        this.wanted = (level == Level.ROW)
                ? List.of(new Wanted(triggerName(channel), "INSERT OR UPDATE OR DELETE", ROW | INSERT_DELETE_UPDATE),
                        new Wanted(truncateTriggerName(channel), "TRUNCATE", TRUNCATE))
                : List.of(new Wanted(triggerName(channel), "INSERT OR UPDATE OR DELETE OR TRUNCATE",
                        INSERT_DELETE_UPDATE | TRUNCATE));
    }

    /**
     * Installs the function and the triggers.
     * @throws IllegalStateException naming the table when one does not exist
     */
    public void install() {
        List<Attachment> attachments = this.transaction.execute((status) -> {
            this.jdbc.query("SELECT pg_advisory_xact_lock(?)", (result) -> null, LOCK_KEY);
            this.jdbc.execute(ClasspathScripts.read(SCRIPT));
            // The journal's own installation keeps its functions up to date (or the application's migrations do, which
            // may own them): only missing ones are created here.
            if (this.journal != null && this.jdbc.queryForObject("SELECT to_regprocedure(?) IS NULL", Boolean.class,
                    JOURNAL_FUNCTION + "()")) {
                this.jdbc.execute(ClasspathScripts.read(JOURNAL_SCRIPT));
            }
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
        return triggerName(channel, "");
    }

    /**
     * Returns the name of the statement-level TRUNCATE trigger that goes with the row-level trigger
     * {@link #triggerName(String)} at {@link Level#ROW}: {@code pg_broadcaster_<channel>_truncate_<checksum>}.
     */
    public static String truncateTriggerName(String channel) {
        return triggerName(channel, TRUNCATE_KIND);
    }

    private static String triggerName(String channel, String kind) {
        String readable = channel.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]+", "_");
        int longest = MAX_READABLE - kind.length();
        if (readable.length() > longest) {
            readable = readable.substring(0, longest);
        }
        CRC32 checksum = new CRC32();
        checksum.update(channel.getBytes(StandardCharsets.UTF_8));
        return "pg_broadcaster_" + readable + "_" + kind + String.format("%08x", checksum.getValue());
    }

    private Attachment attach(TableName table) {
        String qualified = table.quoted();
        Boolean exists = this.jdbc.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, qualified);
        if (!Boolean.TRUE.equals(exists)) {
            throw new MissingTableException(table);
        }
        // Every trigger on the table that runs either function, whoever made it (this installer, an earlier version of
        // it under the name pg_broadcaster_notify, or a migration), with its arguments: tgargs holds each argument
        // followed by a NUL byte.
        List<ExistingTrigger> existing = this.jdbc.query("SELECT t.tgname, p.proname, t.tgargs, t.tgtype, "
                + "t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                + "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal "
                + "AND p.proname IN (?, ?) ORDER BY t.tgname",
                (row, index) -> new ExistingTrigger(row.getString(1), row.getString(2), arguments(row.getBytes(3)),
                        row.getInt(4), row.getString(5), row.getString(6)),
                qualified, TRIGGER, JOURNAL_FUNCTION);
        List<String> otherChannels = existing.stream()
            .map(ExistingTrigger::channel)
            .filter((other) -> other != null && !other.equals(this.channel))
            .distinct()
            .toList();
        List<ExistingTrigger> inPlace = new ArrayList<>();
        List<Wanted> missing = new ArrayList<>();
        for (Wanted wanted : this.wanted) {
            existing.stream()
                .filter((trigger) -> !inPlace.contains(trigger) && fits(trigger, wanted))
                .findFirst()
                .ifPresentOrElse(inPlace::add, () -> missing.add(wanted));
        }
        // Any other trigger of those names, and any other that notifies this channel (the other level, the other way
        // with or without the journal, incomplete or disabled), which would deliver each change twice or not at all.
        List<String> names = this.wanted.stream().map(Wanted::name).toList();
        List<ExistingTrigger> replaced = existing.stream()
            .filter((trigger) -> !inPlace.contains(trigger)
                    && (names.contains(trigger.name()) || this.channel.equals(trigger.channel())))
            .toList();
        List<String> attached = new ArrayList<>(inPlace.stream().map(ExistingTrigger::name).toList());
        if (missing.isEmpty() && replaced.isEmpty()) {
            return new Attachment(table, attached, false, List.of(), otherChannels);
        }
        for (ExistingTrigger trigger : replaced) {
            this.jdbc.execute("DROP TRIGGER " + Identifiers.quote(trigger.name()) + " ON " + qualified);
        }
        for (Wanted wanted : missing) {
            String name = Identifiers.quote(wanted.name());
            this.jdbc.execute("CREATE TRIGGER " + name + " AFTER " + wanted.events() + " ON " + qualified + " FOR EACH "
                    + (((wanted.type() & ROW) != 0) ? "ROW" : "STATEMENT") + " EXECUTE FUNCTION " + this.function + "("
                    + this.arguments.stream().map(Identifiers::quoteLiteral).collect(Collectors.joining(", ")) + ")");
            if (this.level == Level.ROW) {
                this.jdbc.execute("ALTER TABLE " + qualified + " ENABLE ALWAYS TRIGGER " + name);
            }
            attached.add(wanted.name());
        }
        return new Attachment(table, attached, true, replaced.stream().map(ExistingTrigger::definition).toList(),
                otherChannels);
    }

    // Whether an existing trigger does what a wanted one would: the same function and arguments, the same events and
    // level, and enabled; at the row level enabled ALWAYS, without which it would not fire on a subscriber.
    private boolean fits(ExistingTrigger trigger, Wanted wanted) {
        return trigger.function().equals(this.function) && trigger.arguments().equals(this.arguments)
                && trigger.type() == wanted.type()
                && ((this.level == Level.ROW) ? trigger.enabled().equals("A") : !trigger.enabled().equals("D"));
    }

    private static List<String> arguments(byte[] tgargs) {
        List<String> arguments = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < tgargs.length; i++) {
            if (tgargs[i] == 0) {
                arguments.add(new String(tgargs, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return arguments;
    }

    private void report(List<Attachment> attachments) {
        List<String> attached = new ArrayList<>();
        List<String> inPlace = new ArrayList<>();
        for (Attachment attachment : attachments) {
            (attachment.created() ? attached : inPlace)
                .add(attachment.table() + " (" + String.join(", ", attachment.triggers()) + ")");
        }
        StringBuilder line = new StringBuilder("Trigger function " + this.function + "() ")
            .append((this.journal != null) ? "writes to the journal " + this.journal + " for channel " : "notifies channel ")
            .append(Identifiers.quote(this.channel)).append(" of changes to ").append(this.tables)
            .append((this.level == Level.ROW) ? " row by row (enabled always, so changes a logical replication "
                    + "subscription applies count too)" : "")
            .append(": ");
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
            for (String replaced : attachment.replaced()) {
                logger.warn("Replaced a trigger on " + attachment.table() + " with "
                        + String.join(", ", attachment.triggers()) + ", which is what pg-broadcaster attaches ("
                        + ((this.level == Level.ROW)
                                ? "each row inserted, updated or deleted and each truncate, enabled always, "
                                : "all four kinds of statement, enabled, ")
                        + ((this.journal != null) ? "writing to the journal" : "notifying without the journal")
                        + "): it was " + replaced);
            }
        }
    }

    /**
     * How the installed triggers fire.
     */
    public enum Level {

        /** Once per statement, on INSERT, UPDATE, DELETE and TRUNCATE: the default. */
        STATEMENT,

        /**
         * Once per row on INSERT, UPDATE and DELETE and once per TRUNCATE statement, enabled {@code ALWAYS}: what
         * fires when a logical replication subscription applies changes, as well as on other writes.
         */
        ROW

    }

    // A trigger the installer attaches: its name, the events after which it fires, and its pg_trigger.tgtype.
    private record Wanted(String name, String events, int type) {

    }

    // pg_trigger.tgenabled: O (origin and local sessions), A (always), R (replica sessions only) or D (disabled).
    private record ExistingTrigger(String name, String function, List<String> arguments, int type, String enabled,
            String definition) {

        String channel() {
            return this.arguments.isEmpty() ? null : this.arguments.get(0);
        }

    }

    private record Attachment(TableName table, List<String> triggers, boolean created, List<String> replaced,
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

        /**
         * Returns the name as SQL, each part quoted.
         */
        public String quoted() {
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
