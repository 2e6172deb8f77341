package dev.pgbroadcaster;

import java.sql.SQLException;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import dev.pgbroadcaster.testsupport.TestDatabase;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What the behaviour tests share: an application with the auto-configuration, pointed at the test database
 * and listening on a channel of its own, and a way to send notifications to it.
 */
public final class Broadcasting {

    private Broadcasting() {
    }

    public static ApplicationContextRunner application(String channel) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
            .withPropertyValues(TestDatabase.get().datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + channel);
    }

    public static String channel() {
        return TestDatabase.uniqueName("test_channel");
    }

    public static ChangeNotification change(String table, String action) {
        return new ChangeNotification("public", table, action);
    }

    public static void send(String channel, ChangeNotification notification) {
        send(channel, notification.toString());
    }

    public static void send(String channel, String payload) {
        try {
            TestDatabase.get().notify(channel, payload);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
