package dev.pgbroadcaster.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PgBouncer, the machine's own (Debian's {@code pgbouncer} package), started in front of a PostgreSQL server
 * on a free loopback port with a given pool mode and otherwise PgBouncer's default settings. Its configuration,
 * auth file, log and pid file live in a temporary directory that {@link #close()} removes.
 * <p>
 * It logs clients in with {@code auth_type = trust}, as the embedded server does. PgBouncer refuses to run as root,
 * so when the tests run as root it is started with {@code -u} as {@code postgres} (or {@code nobody}), which then
 * owns the directory.
 */
public final class PgBouncerServer implements AutoCloseable {

    /** What to tell someone on whose machine {@link #isInstalled()} is false. */
    public static final String NOT_INSTALLED = "PgBouncer is not installed: apt-get install pgbouncer (Debian's package)";

    private static final Path DEBIAN_BINARY = Paths.get("/usr/sbin/pgbouncer");

    private static final Duration START_DEADLINE = Duration.ofSeconds(20);

    private static final Duration STOP_DEADLINE = Duration.ofSeconds(10);

    private final Path directory;

    private final Process process;

    private final int port;

    private final String database;

    private PgBouncerServer(Path directory, Process process, int port, String database) {
        this.directory = directory;
        this.process = process;
        this.port = port;
        this.database = database;
    }

    /**
     * Whether a PgBouncer binary is on the {@code PATH} or where Debian's package puts it.
     */
    public static boolean isInstalled() {
        return binary().isPresent();
    }

    /**
     * Starts PgBouncer in front of {@code host}:{@code port}, where {@code user} logs in without a password, and
     * waits until it accepts connections.
     * @param poolMode {@code session}, {@code transaction} or {@code statement}
     * @param database the database that {@link #jdbcUrl()} names
     */
    public static PgBouncerServer start(String host, int port, String user, String database, String poolMode) {
        Path binary = binary().orElseThrow(() -> new IllegalStateException(NOT_INSTALLED));
        Path directory = null;
        try {
            directory = Files.createTempDirectory("pgbouncer-");
            int listenPort = freePort();
            Files.writeString(directory.resolve("userlist.txt"), "\"" + user + "\" \"\"\n", StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("pgbouncer.ini"), String.join("\n",
                    "[databases]",
                    "* = host=" + host + " port=" + port,
                    "",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + listenPort,
                    // No Unix socket: several instances on one machine would share its directory.
                    "unix_socket_dir =",
                    "auth_type = trust",
                    "auth_file = " + directory.resolve("userlist.txt"),
                    "pool_mode = " + poolMode,
                    "logfile = " + directory.resolve("pgbouncer.log"),
                    "pidfile = " + directory.resolve("pgbouncer.pid"),
                    ""), StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of(binary.toString()));
            if (isRoot()) {
                String runAs = runAsUser(directory);
                command.addAll(List.of("-u", runAs));
            }
            command.add(directory.resolve("pgbouncer.ini").toString());
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("pgbouncer.out").toFile())
                .start();
            PgBouncerServer server = new PgBouncerServer(directory, process, listenPort, database);
            server.awaitAccepting();
            return server;
        }
        catch (IOException ex) {
            delete(directory);
            throw new UncheckedIOException("Could not start PgBouncer", ex);
        }
    }

    /**
     * Returns the JDBC URL of a connection through PgBouncer.
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + this.port + "/" + this.database + "?sslmode=disable";
    }

    public int port() {
        return this.port;
    }

    /**
     * Returns what PgBouncer wrote to its log file so far, or, before it opened that, to its standard output.
     */
    public String log() {
        // In the foreground it writes each line to both; the log file is the one it keeps after it started.
        return read(Files.exists(this.directory.resolve("pgbouncer.log")) ? "pgbouncer.log" : "pgbouncer.out");
    }

    private String read(String name) {
        Path file = this.directory.resolve(name);
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        }
        catch (IOException ex) {
            return "(could not read " + file + ": " + ex.getMessage() + ")";
        }
    }

    /**
     * Stops PgBouncer and removes its directory.
     */
    @Override
    public void close() {
        try {
            this.process.destroy();
            if (!this.process.waitFor(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                this.process.destroyForcibly().waitFor(STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            this.process.destroyForcibly();
        }
        finally {
            delete(this.directory);
        }
    }

    private void awaitAccepting() {
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        IOException last = null;
        while (System.nanoTime() - deadline < 0) {
            if (!this.process.isAlive()) {
                String log = read("pgbouncer.out");
                delete(this.directory);
                throw new IllegalStateException("PgBouncer exited with " + this.process.exitValue() + ":\n" + log);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port), 1000);
                return;
            }
            catch (IOException ex) {
                last = ex;
            }
            try {
                this.process.waitFor(50, TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String log = read("pgbouncer.out");
        close();
        throw new IllegalStateException("PgBouncer did not accept connections on port " + this.port + " within "
                + START_DEADLINE + " (" + last + "):\n" + log);
    }

    private static Optional<Path> binary() {
        String path = System.getenv("PATH");
        Stream<Path> onPath = (path != null)
                ? Stream.of(path.split(File.pathSeparator)).filter((entry) -> !entry.isEmpty()).map((entry) -> Paths.get(entry, "pgbouncer"))
                : Stream.empty();
        return Stream.concat(onPath, Stream.of(DEBIAN_BINARY)).filter(Files::isExecutable).findFirst();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    // Hands the directory and its files to the user PgBouncer drops to, so it can write its log and pid file.
    private static String runAsUser(Path directory) throws IOException {
        UserPrincipalLookupService users = directory.getFileSystem().getUserPrincipalLookupService();
        for (String name : List.of("postgres", "nobody")) {
            UserPrincipal user;
            try {
                user = users.lookupPrincipalByName(name);
            }
            catch (IOException ex) {
                continue;
            }
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    Files.setOwner(file, user);
                }
            }
            Files.setOwner(directory, user);
            return name;
        }
        throw new IllegalStateException("PgBouncer will not run as root, and neither a postgres nor a nobody user exists to run it as");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void delete(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
        catch (IOException ex) {
            // A temporary directory left behind is no reason to fail a test.
        }
    }

}
