package dev.pgbroadcaster.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.pgbroadcaster.support.ClasspathScripts;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.trigger.TriggerInstaller;
import dev.pgbroadcaster.trigger.TriggerInstaller.TableName;

/**
 * The journal table: its DDL, shipped as {@value #TABLE_SCRIPT} and {@value #FUNCTIONS_SCRIPT} for the default
 * name, and the name of the channel its doorbell rings on.
 */
public final class JournalTable {

    /** The classpath resource that creates the journal table, for the default name. */
    public static final String TABLE_SCRIPT = "META-INF/pg-broadcaster/journal_table.sql";

    /** The classpath resource that defines the functions that write to the journal. */
    public static final String FUNCTIONS_SCRIPT = TriggerInstaller.JOURNAL_SCRIPT;

    /** The SQL state of a missing table, which the listener reports with what to do about it. */
    public static final String MISSING = "42P01";

    private static final String INSUFFICIENT_PRIVILEGE = "42501";

    private static final Pattern DEFAULT_NAME = Pattern.compile("\\bpg_broadcaster_journal(_xid|_created_at|_write)?\\b");

    /** The suffix of the writer's name: the table's name and this. */
    private static final String WRITER = "_write";

    private final TableName name;

    public JournalTable(TableName name) {
        this.name = name;
    }

    /**
     * Returns the table's name as written in {@code pg.broadcaster.journal.table}.
     */
    public TableName name() {
        return this.name;
    }

    /**
     * Returns the table's name as SQL.
     */
    public String sql() {
        return this.name.quoted();
    }

    /**
     * Returns the name, as SQL, of the table's writer ({@code pg_broadcaster_journal_write(channel, payload)} for the
     * default table): the function that adds a row and rings the doorbell, in the table's schema.
     */
    public String writer() {
        String writer = Identifiers.quote(this.name.table() + WRITER);
        return (this.name.schema() != null) ? Identifiers.quote(this.name.schema()) + "." + writer : writer;
    }

    /**
     * Creates what is missing of the table, its indexes and its functions, in one transaction under the lock the
     * trigger installer takes, so that instances starting at once do not trip over each other. A table that exists is
     * left alone, so a user without the right to create tables may start once it is there; functions that exist but
     * that this user may not replace (another user owns them) are used as they are.
     */
    public void create(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_xact_lock(" + TriggerInstaller.LOCK_KEY + ")");
            // The table's script ends with its writer, which an older table may lack.
            if (!exists(connection, "SELECT to_regclass(?)", sql())
                    || !exists(connection, "SELECT to_regprocedure(?)", writer() + "(text,text)")) {
                statement.execute(tableScript());
            }
            Savepoint beforeFunctions = connection.setSavepoint();
            try {
                statement.execute(functionsScript());
            }
            catch (SQLException ex) {
                connection.rollback(beforeFunctions);
                if (!INSUFFICIENT_PRIVILEGE.equals(ex.getSQLState())
                        || !exists(connection, "SELECT to_regprocedure(?)", "pg_broadcaster_journal_send(regclass,text,text)")) {
                    throw ex;
                }
            }
            connection.commit();
        }
        catch (SQLException | RuntimeException ex) {
            connection.rollback();
            throw ex;
        }
        finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static boolean exists(Connection connection, String sql, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, name);
            try (ResultSet result = statement.executeQuery()) {
                return result.next() && result.getObject(1) != null;
            }
        }
    }

    /**
     * Returns the DDL of the table, its indexes and its writer for this name: {@value #TABLE_SCRIPT} with the default
     * name replaced.
     */
    public String tableScript() {
        String script = ClasspathScripts.read(TABLE_SCRIPT);
        Matcher names = DEFAULT_NAME.matcher(script);
        StringBuilder replaced = new StringBuilder();
        while (names.find()) {
            String suffix = names.group(1);
            // Indexes live in the table's schema and are named without it.
            String name = (suffix == null) ? sql()
                    : WRITER.equals(suffix) ? writer() : Identifiers.quote(this.name.table() + suffix);
            names.appendReplacement(replaced, Matcher.quoteReplacement(name));
        }
        names.appendTail(replaced);
        return replaced.toString();
    }

    /**
     * Returns the DDL of the functions that write to the journal, {@value #FUNCTIONS_SCRIPT}.
     */
    public static String functionsScript() {
        return ClasspathScripts.read(FUNCTIONS_SCRIPT);
    }

    /**
     * Returns the channel the table's doorbell rings on, {@code pg_broadcaster_journal_<oid>}, as its writer names
     * it.
     * @throws SQLException with SQL state {@value #MISSING} when the table does not exist
     */
    String doorbellChannel(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?)::oid")) {
            statement.setString(1, sql());
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                long oid = result.getLong(1);
                if (result.wasNull()) {
                    throw new SQLException("the journal table " + this.name + " does not exist", MISSING);
                }
                return "pg_broadcaster_journal_" + oid;
            }
        }
    }

}
