package dev.pgbroadcaster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Installs the shipped trigger function ({@value #SCRIPT}) and attaches it, as a statement-level trigger named
 * {@value #TRIGGER}, to each listed table, so that every INSERT, UPDATE, DELETE and TRUNCATE notifies the
 * channel. Safe to run at every start and from several instances at once: it works in one transaction under
 * an advisory lock, and leaves a table whose trigger already notifies the channel untouched, so a busy table
 * is not locked for nothing.
 */
public final class TriggerInstaller {

    /** The classpath resource that defines {@code pg_broadcaster_notify()}. */
    public static final String SCRIPT = "META-INF/pg-broadcaster/notify_table.sql";

    /** The name of the triggers it creates. */
    public static final String TRIGGER = "pg_broadcaster_notify";

    private static final Log logger = LogFactory.getLog(Broadcaster.class);

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
        int attached = this.transaction.execute((status) -> {
            this.jdbc.query("SELECT pg_advisory_xact_lock(?)", (result) -> null, LOCK_KEY);
            this.jdbc.execute(script());
            int count = 0;
            for (TableName table : this.tables) {
                if (attach(table)) {
                    count++;
                }
            }
            return count;
        });
        logger.info("Trigger " + TRIGGER + "() notifies channel " + ChannelNames.quote(this.channel) + " of changes to "
                + this.tables + " (" + attached + " attached now, " + (this.tables.size() - attached) + " already in place)");
    }

    private boolean attach(TableName table) {
        String qualified = table.quoted();
        Boolean exists = this.jdbc.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, qualified);
        if (!Boolean.TRUE.equals(exists)) {
            throw new MissingTableException(table);
        }
        // tgargs holds each argument followed by a NUL byte.
        Integer inPlace = this.jdbc.queryForObject("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(?) "
                + "AND tgname = ? AND tgargs = convert_to(?, 'UTF8') || '\\x00'::bytea AND tgtype = ?",
                Integer.class, qualified, TRIGGER, this.channel, STATEMENT_TRIGGER_TYPE);
        if (inPlace != null && inPlace > 0) {
            return false;
        }
        this.jdbc.execute("DROP TRIGGER IF EXISTS " + quoteIdentifier(TRIGGER) + " ON " + qualified);
        this.jdbc.execute("CREATE TRIGGER " + quoteIdentifier(TRIGGER)
                + " AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + qualified
                + " FOR EACH STATEMENT EXECUTE FUNCTION pg_broadcaster_notify(" + quoteLiteral(this.channel) + ")");
        return true;
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

    static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    static String quoteLiteral(String text) {
        return "'" + text.replace("'", "''") + "'";
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
            return (this.schema != null ? quoteIdentifier(this.schema) + "." : "") + quoteIdentifier(this.table);
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
