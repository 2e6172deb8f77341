package dev.pgbroadcaster.payload;

import dev.pgbroadcaster.ChangeNotification;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * {@link ChangeNotificationJson} with Jackson 3, set up to read and write exactly as the Jackson 2 one does.
 */
final class Jackson3ChangeNotificationJson extends ChangeNotificationJson {

    private final JsonMapper mapper = JsonMapper.builder()
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        // A number or boolean where a name belongs means the payload was not written for us.
        .withCoercionConfig(LogicalType.Textual, (coercion) -> coercion
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .disable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
        // Jackson 3 sorts properties by name by default, after the creator's (a record's components): off, so the
        // order is the record's alone, schema, table, action, as the trigger sends it and Jackson 2 writes it.
        .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
        .build();

    private final ObjectReader reader = this.mapper.readerFor(ChangeNotification.class);

    private final ObjectWriter writer = this.mapper.writerFor(ChangeNotification.class);

    @Override
    ChangeNotification read(String payload) throws InvalidPayloadException {
        try {
            return this.reader.readValue(payload);
        }
        catch (JacksonException ex) {
            throw notTheExpectedShape(ex.getOriginalMessage());
        }
    }

    @Override
    public String write(ChangeNotification notification) {
        try {
            return this.writer.writeValueAsString(notification);
        }
        catch (JacksonException ex) {
            throw new IllegalStateException("Could not render " + ChangeNotification.class.getSimpleName() + " as JSON", ex);
        }
    }

}
