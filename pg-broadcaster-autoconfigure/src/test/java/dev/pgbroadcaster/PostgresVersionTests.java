package dev.pgbroadcaster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import dev.pgbroadcaster.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The build's PostgreSQL version switch ({@code -Dpostgres=13} ... {@code 18}) really changes the server the
 * tests run against, so the compatibility table in the README states what was tested.
 */
class PostgresVersionTests {

    @Test
    void theEmbeddedServerIsTheMajorVersionTheBuildAskedFor() throws Exception {
        assumeThat(System.getenv(TestDatabase.URL_VARIABLE)).as("an external server is whatever version it is").isNull();
        String expected = System.getProperty("pg-broadcaster.test.postgres-major");
        assumeThat(expected).as("run by Maven, which names the version").isNotNull();
        try (Connection connection = TestDatabase.get().connect();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
            result.next();
            assertThat(result.getInt(1)).isEqualTo(Integer.parseInt(expected));
        }
    }

}
