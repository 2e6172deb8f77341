package dev.pgbroadcaster.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the SQL scripts the starter ships under {@code META-INF/pg-broadcaster}.
 */
public final class ClasspathScripts {

    private ClasspathScripts() {
    }

    /**
     * Returns the text of the script {@code resource}.
     * @throws IllegalStateException if it is not on the classpath
     */
    public static String read(String resource) {
        try (InputStream in = ClasspathScripts.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("The script " + resource + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read " + resource, ex);
        }
    }

}
