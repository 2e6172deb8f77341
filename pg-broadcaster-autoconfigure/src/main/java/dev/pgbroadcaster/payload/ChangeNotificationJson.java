package dev.pgbroadcaster.payload;

import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.support.Excerpts;

import org.springframework.util.ClassUtils;

/**
 * The JSON form of a {@link ChangeNotification}, read with strict rules (a JSON object whose {@code schema},
 * {@code table} and {@code action} are non-blank strings; other fields ignored) and written in the shape the trigger
 * function sends. Jackson 2 does it when it is on the classpath, as it always has; otherwise Jackson 3, so that a
 * Spring Boot 4 application need not carry Jackson 2 for the starter alone.
 */
public abstract class ChangeNotificationJson {

    static final String JACKSON2 = "com.fasterxml.jackson.databind.ObjectMapper";

    static final String JACKSON3 = "tools.jackson.databind.json.JsonMapper";

    /**
     * Returns the form that the Jackson on {@code classLoader} provides.
     * @throws IllegalStateException if neither Jackson 2 nor Jackson 3 is there
     */
    public static ChangeNotificationJson using(ClassLoader classLoader) {
        if (ClassUtils.isPresent(JACKSON2, classLoader)) {
            return new Jackson2ChangeNotificationJson();
        }
        if (ClassUtils.isPresent(JACKSON3, classLoader)) {
            return new Jackson3ChangeNotificationJson();
        }
        throw new IllegalStateException("ChangeNotification needs Jackson to read and write JSON: add "
                + "tools.jackson.core:jackson-databind (Jackson 3) or com.fasterxml.jackson.core:jackson-databind (Jackson 2)");
    }

    public final ChangeNotification decode(String payload) throws InvalidPayloadException {
        if (payload == null || payload.isBlank()) {
            throw new InvalidPayloadException("the payload is empty");
        }
        ChangeNotification notification = read(payload);
        if (notification == null) {
            throw new InvalidPayloadException("it is JSON null");
        }
        requireText("schema", notification.schema());
        requireText("table", notification.table());
        requireText("action", notification.action());
        return notification;
    }

    /**
     * Reads {@code payload}, not blank, as a notification whose fields are strings or null.
     */
    abstract ChangeNotification read(String payload) throws InvalidPayloadException;

    public abstract String write(ChangeNotification notification);

    private static void requireText(String field, String value) throws InvalidPayloadException {
        if (value == null || value.isBlank()) {
            throw new InvalidPayloadException("its \"" + field + "\" field is missing or blank");
        }
    }

    static InvalidPayloadException notTheExpectedShape(String message) {
        return new InvalidPayloadException("it is not a JSON object of the expected shape: " + Excerpts.firstLine(message));
    }

}
