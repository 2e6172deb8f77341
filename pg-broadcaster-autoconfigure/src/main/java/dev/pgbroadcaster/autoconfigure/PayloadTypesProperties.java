package dev.pgbroadcaster.autoconfigure;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.payload.PayloadDecoder;

import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Turns {@code pg.broadcaster.payload-types} into a {@link PayloadDecoder}, checking each entry at startup.
 */
final class PayloadTypesProperties {

    static final String RAW = "raw";

    private PayloadTypesProperties() {
    }

    static PayloadDecoder decoder(PgBroadcasterProperties properties, List<String> channels, PayloadReader reader,
            ClassLoader classLoader) {
        Map<String, Class<?>> types = new LinkedHashMap<>();
        List<PgBroadcasterProperties.PayloadType> entries = properties.getPayloadTypes();
        for (int i = 0; i < entries.size(); i++) {
            String property = "pg.broadcaster.payload-types[" + i + "]";
            PgBroadcasterProperties.PayloadType entry = entries.get(i);
            String channel = entry.getChannel();
            if (!StringUtils.hasText(channel)) {
                throw new InvalidBroadcasterPropertyException(property + ".channel", "must name a channel");
            }
            if (!channels.contains(channel)) {
                throw new InvalidBroadcasterPropertyException(property + ".channel", "'" + channel
                        + "' is not one of the channels pg-broadcaster listens on " + channels
                        + "; add it to pg.broadcaster.channel or pg.broadcaster.channels");
            }
            if (types.containsKey(channel)) {
                throw new InvalidBroadcasterPropertyException(property + ".channel",
                        "'" + channel + "' already has a payload type");
            }
            types.put(channel, type(property + ".type", entry.getType(), classLoader));
        }
        return new PayloadDecoder(types, reader, classLoader);
    }

    private static Class<?> type(String property, String name, ClassLoader classLoader) {
        if (!StringUtils.hasText(name)) {
            throw new InvalidBroadcasterPropertyException(property,
                    "must be a class name, or '" + RAW + "' for payloads that are not decoded");
        }
        if (RAW.equals(name.trim())) {
            return PayloadDecoder.RAW;
        }
        try {
            Class<?> type = ClassUtils.forName(name.trim(), classLoader);
            if (type.isPrimitive() || type.isInterface() && type != ChangeNotification.class) {
                throw new InvalidBroadcasterPropertyException(property,
                        "'" + name + "' is not a class Jackson can create; name a concrete class or a record");
            }
            return type;
        }
        catch (ClassNotFoundException | LinkageError ex) {
            throw new InvalidBroadcasterPropertyException(property,
                    "names the class '" + name + "', which is not on the classpath");
        }
    }

}
