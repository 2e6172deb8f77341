package dev.pgbroadcaster.payload;

import java.io.IOException;

import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PayloadWriter;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and writes payloads with a Jackson 3 {@link ObjectMapper}: the application's {@code JsonMapper} on Spring
 * Boot 4, so its modules and settings apply to payload types, or one set up as Spring Boot would when the application
 * has Jackson 3 but no mapper bean, and no Jackson 2.
 */
public final class Jackson3Payloads implements PayloadReader, PayloadWriter {

    private final ObjectMapper mapper;

    public Jackson3Payloads(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Returns a mapper set up as Spring Boot 4 sets up the application's: unknown properties are ignored, and the
     * Jackson modules on the classpath are registered.
     */
    public static JsonMapper defaultMapper() {
        return JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).findAndAddModules().build();
    }

    @Override
    public Object read(String payload, Class<?> type) throws IOException {
        Object value;
        try {
            value = this.mapper.readValue(payload, type);
        }
        catch (JacksonException ex) {
            throw new IOException(ex.getOriginalMessage(), ex);
        }
        if (value == null) {
            throw new IOException("it is JSON null");
        }
        return value;
    }

    @Override
    public String write(Object payload) throws IOException {
        try {
            return this.mapper.writeValueAsString(payload);
        }
        catch (JacksonException ex) {
            throw new IOException(ex.getOriginalMessage(), ex);
        }
    }

}
