package dev.pgbroadcaster.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link SseServerMain} in a JVM of its own, with the heap the benchmark's own JVM has: it is asked for figures
 * one line at a time, and whatever else it prints (its log) is kept, and echoed, for the report.
 */
final class SseServerProcess implements AutoCloseable {

    private final Process process;

    private final PrintWriter commands;

    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

    private final List<String> log = new ArrayList<>();

    private final int port;

    SseServerProcess(String mode, Database database, String channel, int maxClients) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms512m", "-Xmx512m", "-XX:+UseG1GC"));
        // More options for the server's JVM, for example -XX:StartFlightRecording to profile it.
        String options = System.getProperty("bench.sse.jvm.options", "").trim();
        if (!options.isEmpty()) {
            command.addAll(List.of(options.split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SseServerMain.class.getName(), mode,
                database.url, orDash(database.username), orDash(database.password), channel,
                String.valueOf(maxClients)));
        this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
        this.commands = new PrintWriter(this.process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(this::read, "sse-server-output");
        reader.setDaemon(true);
        reader.start();
        String first = answer(60);
        if (!first.startsWith("port ")) {
            throw new IllegalStateException("The SSE server said " + first);
        }
        this.port = Integer.parseInt(first.substring(5).trim());
    }

    private static String orDash(String value) {
        return value == null ? "-" : value;
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("BENCH ")) {
                    this.answers.add(line.substring(6));
                }
                else {
                    synchronized (this.log) {
                        this.log.add(line);
                    }
                    System.out.println("  [server] " + line);
                }
            }
        }
        catch (IOException ex) {
            // The process has gone.
        }
        this.answers.add("gone");
    }

    int port() {
        return this.port;
    }

    /** Sends one command and returns its answer's words after the first. */
    String[] ask(String command) throws Exception {
        this.commands.println(command);
        String answer = answer(60);
        String[] words = answer.split(" ");
        if (!words[0].equals(command)) {
            throw new IllegalStateException("Asked " + command + ", the SSE server said " + answer);
        }
        return java.util.Arrays.copyOfRange(words, 1, words.length);
    }

    private String answer(int seconds) throws InterruptedException {
        String answer = this.answers.poll(seconds, TimeUnit.SECONDS);
        if (answer == null) {
            throw new IllegalStateException("The SSE server did not answer within " + seconds + " s");
        }
        return answer;
    }

    /** What the server printed besides its answers: its log. */
    List<String> log() {
        synchronized (this.log) {
            return new ArrayList<>(this.log);
        }
    }

    @Override
    public void close() throws Exception {
        this.commands.println("quit");
        if (!this.process.waitFor(20, TimeUnit.SECONDS)) {
            this.process.destroyForcibly().waitFor();
        }
    }

}
