package dev.pgbroadcaster.autoconfigure;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.pgbroadcaster.journal.JournalSettings;
import dev.pgbroadcaster.listening.Preparation;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.trigger.TriggerInstaller;
import dev.pgbroadcaster.trigger.TriggerInstaller.TableName;

import org.springframework.core.NestedExceptionUtils;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionException;

/**
 * Runs the {@link TriggerInstaller} for {@code pg.broadcaster.triggers.*} as the broadcaster's preparation: when
 * it starts, which is after the application's database initialization (schema scripts, Flyway, Liquibase) and
 * whether or not beans are initialized lazily; or, when the database cannot be reached then, as soon as it can,
 * before the listener announces its first connection.
 */
final class TriggerInstallation implements Preparation {

    private final TriggerInstaller installer;

    private final List<TableName> tables;

    private TriggerInstallation(TriggerInstaller installer, List<TableName> tables) {
        this.installer = installer;
        this.tables = tables;
    }

    /**
     * Checks {@code pg.broadcaster.triggers.*} and returns the installation they ask for, which is
     * {@linkplain #isEmpty() empty} when no table is listed.
     */
    static TriggerInstallation of(PgBroadcasterProperties properties, List<String> channels, DataSource dataSource) {
        PgBroadcasterProperties.Triggers triggers = properties.getTriggers();
        if (triggers.getLevel() == null) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.level", "must be statement or row");
        }
        boolean rowLevel = triggers.getLevel() == PgBroadcasterProperties.TriggerLevel.ROW;
        if (rowLevel && properties.getJournal().isEnabled()) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.level",
                    "is row, which pg.broadcaster.journal.enabled=true does not support: the journal's trigger is "
                            + "statement-level only (set pg.broadcaster.triggers.level=statement, or turn the journal off)");
        }
        List<String> names = triggers.getTables();
        if (names.isEmpty()) {
            return new TriggerInstallation(null, List.of());
        }
        List<TableName> tables = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            try {
                tables.add(TableName.parse(names.get(i)));
            }
            catch (IllegalArgumentException ex) {
                throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.tables[" + i + "]", ex.getMessage());
            }
        }
        String channel = (triggers.getChannel() != null) ? triggers.getChannel() : channels.get(0);
        String problem = Identifiers.problem(channel);
        if (problem != null) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.channel", "'" + channel + "' " + problem);
        }
        JournalSettings journal = BroadcasterSettingsMapping.journal(properties);
        return new TriggerInstallation(
                new TriggerInstaller(dataSource, tables, channel, (journal != null) ? journal.table() : null,
                        rowLevel ? TriggerInstaller.Level.ROW : TriggerInstaller.Level.STATEMENT), tables);
    }

    boolean isEmpty() {
        return this.installer == null;
    }

    @Override
    public String description() {
        return "install the triggers of pg.broadcaster.triggers.tables ("
                + this.tables.stream().map(TableName::toString).collect(Collectors.joining(", ")) + ")";
    }

    @Override
    public void prepare() throws SQLException {
        try {
            this.installer.install();
        }
        catch (TriggerInstaller.MissingTableException ex) {
            int index = this.tables.indexOf(ex.getTable());
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.tables[" + index + "]",
                    "names '" + ex.getTable() + "', which does not exist (names are used as written, upper case "
                            + "included; create the table first, for example in schema.sql or a migration)");
        }
        catch (DataAccessException | TransactionException ex) {
            if (unreachable(ex)) {
                throw new SQLTransientConnectionException(NestedExceptionUtils.getMostSpecificCause(ex).getMessage(), "08001", ex);
            }
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.tables", "could not be installed: "
                    + NestedExceptionUtils.getMostSpecificCause(ex).getMessage() + " (the database user of "
                    + "spring.datasource.username needs the right to create functions and triggers on these tables)");
        }
    }

    // Whether the database could not be reached at all, which waiting may fix, rather than refused the work.
    private static boolean unreachable(RuntimeException ex) {
        if (ex instanceof DataAccessResourceFailureException || ex instanceof TransientDataAccessResourceException
                || ex instanceof CannotCreateTransactionException) {
            return true;
        }
        for (Throwable each = ex; each != null; each = (each.getCause() != each) ? each.getCause() : null) {
            if (each instanceof SQLTransientConnectionException || each instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (each instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
                return true;
            }
        }
        return false;
    }

}
