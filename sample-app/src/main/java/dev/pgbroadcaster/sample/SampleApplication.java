package dev.pgbroadcaster.sample;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A user's application of pg-broadcaster: a writer changes the {@code orders} table, its trigger NOTIFYs
 * {@code backend.table_change}, and an event listener and a subscriber log every change that comes back.
 */
@SpringBootApplication
@EnableScheduling
public class SampleApplication {

    public static void main(String[] args) {
        application().run(args);
    }

    /**
     * The application as {@link #main} runs it, so tests start it the same way.
     */
    static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(SampleApplication.class).listeners(new EmbeddedPostgresFallback());
    }

}
