package dev.pgbroadcaster.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import dev.pgbroadcaster.ChannelNames;
import dev.pgbroadcaster.TriggerInstaller;
import dev.pgbroadcaster.TriggerInstaller.TableName;

import org.springframework.beans.factory.InitializingBean;

/**
 * Runs the {@link TriggerInstaller} for {@code pg.broadcaster.triggers.*} when the bean is created: after the
 * application's database initialization (schema scripts, Flyway, Liquibase), before the listener starts.
 */
final class TriggerInstallation implements InitializingBean {

    private final TriggerInstaller installer;

    private final List<TableName> tables;

    private TriggerInstallation(TriggerInstaller installer, List<TableName> tables) {
        this.installer = installer;
        this.tables = tables;
    }

    static TriggerInstallation of(PgBroadcasterProperties properties, List<String> channels, DataSource dataSource) {
        PgBroadcasterProperties.Triggers triggers = properties.getTriggers();
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
        String problem = ChannelNames.problem(channel);
        if (problem != null) {
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.channel", "'" + channel + "' " + problem);
        }
        return new TriggerInstallation(new TriggerInstaller(dataSource, tables, channel), tables);
    }

    @Override
    public void afterPropertiesSet() {
        if (this.installer == null) {
            return;
        }
        try {
            this.installer.install();
        }
        catch (TriggerInstaller.MissingTableException ex) {
            int index = this.tables.indexOf(ex.getTable());
            throw new InvalidBroadcasterPropertyException("pg.broadcaster.triggers.tables[" + index + "]",
                    "names '" + ex.getTable() + "', which does not exist (names are used as written, upper case "
                            + "included; create the table first, for example in schema.sql or a migration)");
        }
    }

}
