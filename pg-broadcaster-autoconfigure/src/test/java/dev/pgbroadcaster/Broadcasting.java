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
final class Broadcasting {

    private Broadcasting() {
    }

    static ApplicationContextRunner application(String channel) {
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PgBroadcasterAutoConfiguration.class))
            .withPropertyValues(TestDatabase.get().datasourceProperties())
            .withPropertyValues("pg.broadcaster.channel=" + channel);
    }

    static String channel() {
        return TestDatabase.uniqueName("test_channel");
    }

    static ChangeNotification change(String table, String action) {
        return new ChangeNotification("public", table, action);
    }

    static void send(String channel, ChangeNotification notification) {
        send(channel, notification.toString());
    }

    static void send(String channel, String payload) {
        try {
            TestDatabase.get().notify(channel, payload);
        }
        catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
