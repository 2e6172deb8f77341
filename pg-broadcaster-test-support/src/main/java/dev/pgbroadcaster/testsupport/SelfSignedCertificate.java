package dev.pgbroadcaster.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away self-signed certificate and its private key as PEM files, made with the JDK's {@code keytool}
 * when a test starts, so that no key is kept in the repository.
 */
final class SelfSignedCertificate {

    private static final String ALIAS = "server";

    private static final char[] STORE_PASSWORD = "test-only".toCharArray();

    private final Path certificate;

    private final Path privateKey;

    private SelfSignedCertificate(Path certificate, Path privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * Writes {@code server.crt} and {@code server.key} into a new directory that is removed when the JVM exits.
     */
    static SelfSignedCertificate create() {
        try {
            Path directory = Files.createTempDirectory("pg-broadcaster-tls");
            Path keyStore = directory.resolve("server.p12");
            keytool("-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                    "-keystore", keyStore.toString(), "-storepass", new String(STORE_PASSWORD));
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStore)) {
                store.load(in, STORE_PASSWORD);
            }
            Certificate certificate = store.getCertificate(ALIAS);
            PrivateKey key = (PrivateKey) store.getKey(ALIAS, STORE_PASSWORD);
            Path certificateFile = directory.resolve("server.crt");
            Path keyFile = directory.resolve("server.key");
            Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()));
            Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
            // PostgreSQL refuses a key file that others may read.
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            Files.delete(keyStore);
            for (Path path : List.of(directory, certificateFile, keyFile)) {
                path.toFile().deleteOnExit();
            }
            return new SelfSignedCertificate(certificateFile, keyFile);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not make a self-signed certificate", ex);
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Could not read the self-signed certificate", ex);
        }
    }

    Path certificate() {
        return this.certificate;
    }

    Path privateKey() {
        return this.privateKey;
    }

    private static void keytool(String... arguments) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool failed: " + output);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            process.destroy();
            throw new IOException("Interrupted while waiting for keytool", ex);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

}
