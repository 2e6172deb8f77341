package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import dev.pgbroadcaster.core.PgBroadcaster;
import dev.pgbroadcaster.support.Redaction;
import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Parameters of the listener URL, TLS settings among them, apply to the listener connection.
 */
class ListenerUrlSettingsTests {

    @Test
    void sslmodeRequireAgainstAServerWithoutTlsFailsWithTheDriversMessageAndNoPassword() throws SQLException {
        assumeFalse(serverHasTls(), "the test server accepts TLS");
        String url = TestDatabase.get().jdbcUrl();
        String withTls = url + (url.contains("?") ? "&" : "?") + "sslmode=require&password=Tls-S3cret";
        Broadcasting.application(Broadcasting.channel())
            .withPropertyValues("pg.broadcaster.url=" + withTls, "pg.broadcaster.fail-fast=true")
            .run((context) -> {
                assertThat(context).hasFailed();
                Throwable failure = context.getStartupFailure();
                while (!(failure instanceof PgBroadcaster.BroadcasterStartException) && failure.getCause() != null) {
                    failure = failure.getCause();
                }
                assertThat(failure).isInstanceOf(PgBroadcaster.BroadcasterStartException.class)
                    .hasMessageContaining("The server does not support SSL")
                    .hasMessageContaining(Redaction.url(url))
                    .hasMessageNotContaining("Tls-S3cret");
            });
    }

    private static boolean serverHasTls() throws SQLException {
        try (Connection connection = TestDatabase.get().connect(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SHOW ssl")) {
            result.next();
            return "on".equals(result.getString(1));
        }
    }

}
