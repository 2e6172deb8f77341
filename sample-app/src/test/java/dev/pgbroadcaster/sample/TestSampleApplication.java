package dev.pgbroadcaster.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * Runs the sample against PostgreSQL in a Docker container, for developers who have Docker: start this class
 * from the IDE, or run {@code ./mvnw -pl sample-app -am spring-boot:test-run}. The container is a service
 * connection, so the application's DataSource and the pg-broadcaster listener both connect to it, with no
 * {@code spring.datasource.*} to set.
 */
public class TestSampleApplication {

    public static void main(String[] args) {
        String[] withoutEmbeddedServer = new String[args.length + 1];
        System.arraycopy(args, 0, withoutEmbeddedServer, 0, args.length);
        withoutEmbeddedServer[args.length] = "--sample.embedded-postgres.enabled=false";
        SpringApplication.from(SampleApplication::main).with(PostgresContainer.class).run(withoutEmbeddedServer);
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class PostgresContainer {

        @Bean
        @ServiceConnection
        PostgreSQLContainer<?> postgres() {
            return new PostgreSQLContainer<>("postgres:17-alpine");
        }

    }

}
