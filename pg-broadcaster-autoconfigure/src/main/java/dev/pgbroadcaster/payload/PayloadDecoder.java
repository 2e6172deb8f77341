package dev.pgbroadcaster.payload;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.RawNotification;
import dev.pgbroadcaster.support.Excerpts;

/**
 * Turns each channel's payloads into the events listeners receive: a {@link ChangeNotification} by default,
 * read with strict rules; an object of the type configured for the channel, read by a {@link PayloadReader};
 * or nothing at all on a {@link #RAW raw} channel, whose listeners take the {@link RawNotification}.
 */
public final class PayloadDecoder {

    /**
     * The payload type of a channel whose payloads are not decoded.
     */
    public static final Class<?> RAW = RawNotification.class;

    private final ChangeNotificationJson changeNotifications;

    private final Map<String, Class<?>> types;

    private final PayloadReader reader;

    /**
     * @param types the payload type of each channel that does not carry {@link ChangeNotification}s, or
     * {@link #RAW}
     * @param reader reads the payloads of those channels that have a type other than {@link #RAW}
     */
    public PayloadDecoder(Map<String, Class<?>> types, PayloadReader reader) {
        this(types, reader, PayloadDecoder.class.getClassLoader());
    }

    /**
     * @param types the payload type of each channel that does not carry {@link ChangeNotification}s, or
     * {@link #RAW}
     * @param reader reads the payloads of those channels that have a type other than {@link #RAW}
     * @param classLoader where to look for Jackson, which reads {@link ChangeNotification}s: Jackson 2 when it is
     * there, else Jackson 3
     */
    public PayloadDecoder(Map<String, Class<?>> types, PayloadReader reader, ClassLoader classLoader) {
        this.types = new HashMap<>(types);
        this.reader = reader;
        this.changeNotifications = ChangeNotificationJson.using(classLoader);
    }

    /**
     * Decodes every payload as a {@link ChangeNotification}.
     */
    public static PayloadDecoder changeNotifications() {
        return new PayloadDecoder(Map.of(), (payload, type) -> {
            throw new IOException("no payload types are configured");
        });
    }

    /**
     * Returns what {@code channel}'s payloads are decoded to: {@link ChangeNotification}, a configured type, or
     * {@link #RAW}.
     */
    public Class<?> typeOf(String channel) {
        return this.types.getOrDefault(channel, ChangeNotification.class);
    }

    /**
     * Returns the event for {@code payload}, or {@code null} on a {@link #RAW raw} channel.
     * @throws InvalidPayloadException if the payload is not of the channel's type
     */
    public Object decode(String channel, String payload) throws InvalidPayloadException {
        Class<?> type = typeOf(channel);
        if (type == ChangeNotification.class) {
            return this.changeNotifications.decode(payload);
        }
        if (type == RAW) {
            return null;
        }
        if (payload == null || payload.isBlank()) {
            throw new InvalidPayloadException("the payload is empty");
        }
        try {
            return this.reader.read(payload, type);
        }
        catch (IOException | RuntimeException ex) {
            throw new InvalidPayloadException(
                    "it is not of type " + type.getSimpleName() + ": " + Excerpts.firstLine(ex.getMessage()));
        }
    }

}
