package dev.pgbroadcaster.boot4;

import java.nio.file.Path;
import java.nio.file.Paths;

import dev.pgbroadcaster.autoconfigure.PgBroadcasterAutoConfiguration;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootVersion;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What this module's tests prove holds: they run on the Spring Boot version the build names, against the
 * auto-configuration jar its own module built against the baseline.
 */
class SpringBootVersionTests {

    @Test
    void theTestsRunOnTheSpringBootVersionTheBuildNames() {
        assertThat(SpringBootVersion.getVersion()).startsWith("4.")
            .isEqualTo(System.getProperty("pg-broadcaster.test.spring-boot-version"));
    }

    @Test
    void theAutoConfigurationComesFromTheJarBuiltForTheBaseline() throws Exception {
        Path location = Paths.get(PgBroadcasterAutoConfiguration.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(location.toString()).contains("pg-broadcaster-autoconfigure");
        assertThat(location.getFileName().toString()).endsWith(".jar");
    }

}
