package dev.pgbroadcaster.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL server run from binaries that come from Maven Central, so a machine with only a JDK can
 * run the tests and the sample application.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final String USER = "postgres";

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts a new server on a free loopback port with an empty data directory that is removed on close.
     */
    public static EmbeddedPostgresServer start() {
        try {
            return new EmbeddedPostgresServer(EmbeddedPostgres.builder().start());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL server", ex);
        }
    }

    /**
     * Starts a new server like {@link #start()} that also accepts TLS ({@code ssl=on}) with a throw-away
     * self-signed certificate; connect with {@code sslmode=require}, which encrypts without verifying it.
     */
    public static EmbeddedPostgresServer startWithTls() {
        SelfSignedCertificate certificate = SelfSignedCertificate.create();
        try {
            return new EmbeddedPostgresServer(EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", certificate.certificate().toString())
                .setServerConfig("ssl_key_file", certificate.privateKey().toString())
                .start());
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL server with TLS", ex);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + this.postgres.getPort() + "/postgres";
    }

    public int port() {
        return this.postgres.getPort();
    }

    public String username() {
        return USER;
    }

    public String password() {
        return "";
    }

    @Override
    public void close() {
        try {
            this.postgres.close();
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not stop the embedded PostgreSQL server", ex);
        }
    }

}
