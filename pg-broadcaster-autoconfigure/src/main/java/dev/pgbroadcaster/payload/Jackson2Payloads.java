package dev.pgbroadcaster.payload;

import java.io.IOException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.pgbroadcaster.PayloadReader;
import dev.pgbroadcaster.PayloadWriter;

/**
 * Reads and writes payloads with a Jackson 2 {@link ObjectMapper}, the application's when it has one, so its
 * modules and settings apply to payload types.
 */
public final class Jackson2Payloads implements PayloadReader, PayloadWriter {

    private final ObjectMapper mapper;

    public Jackson2Payloads(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * Returns a mapper set up as Spring Boot sets up the application's: unknown properties are ignored, and the
     * Jackson modules on the classpath (Java time, for one) are registered.
     */
    public static ObjectMapper defaultMapper() {
        return JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).findAndAddModules().build();
    }

    @Override
    public Object read(String payload, Class<?> type) throws IOException {
        Object value = this.mapper.readValue(payload, type);
        if (value == null) {
            throw new IOException("it is JSON null");
        }
        return value;
    }

    @Override
    public String write(Object payload) throws IOException {
        return this.mapper.writeValueAsString(payload);
    }

}
