package dev.pgbroadcaster.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged sample, started as a user would with {@code java -Dspring.aot.enabled=true -jar}: it runs on
 * the bean definitions generated at build time, brings its own PostgreSQL, and events flow.
 */
class SampleRunsInAotModeIT {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void thePackagedSampleRunsInAotModeAndEventsFlow() throws Exception {
        Path jar = Paths.get(System.getProperty("sample.jar"));
        assertThat(jar).exists();
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Dspring.aot.enabled=true", "-jar", jar.toString(),
                // An empty URL makes the sample start its own server, whatever the environment says.
                "--sample.writer.interval=100ms", "--server.port=0", "--spring.datasource.url=")
            .redirectErrorStream(true)
            .start();
        List<String> output = new ArrayList<>();
        try {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> readLines(process, lines), "aot-sample-output");
            reader.setDaemon(true);
            reader.start();
            boolean aotStarted = false;
            boolean eventArrived = false;
            boolean subscriberGotOne = false;
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!(aotStarted && eventArrived && subscriberGotOne)) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    fail("The AOT-mode sample did not show events within " + DEADLINE + ":\n" + String.join("\n", output));
                }
                output.add(line);
                aotStarted |= line.contains("Starting AOT-processed SampleApplication");
                eventArrived |= line.contains("@EventListener got {\"schema\":\"public\",\"table\":\"orders\"");
                subscriberGotOne |= line.contains("Subscriber got {\"schema\":\"public\",\"table\":\"orders\"");
            }
        }
        finally {
            // SIGTERM, as Ctrl-C or a container stop would send: the application closes in order.
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("The AOT-mode sample did not stop within 30s of SIGTERM");
            }
        }
        assertThat(String.join("\n", output)).doesNotContain("APPLICATION FAILED TO START");
    }

    private static void readLines(Process process, BlockingQueue<String> lines) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
        }
        catch (IOException ex) {
            // The process ended.
        }
    }

}
