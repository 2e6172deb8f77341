package dev.pgbroadcaster;

import java.io.IOException;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads and writes payloads with a Jackson 3 {@link ObjectMapper}: the application's {@code JsonMapper} on Spring
 * Boot 4, so its modules and settings apply to payload types.
 */
public final class Jackson3Payloads implements PayloadReader, PayloadWriter {

    private final ObjectMapper mapper;

    public Jackson3Payloads(ObjectMapper mapper) {
        this.mapper = mapper;
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
