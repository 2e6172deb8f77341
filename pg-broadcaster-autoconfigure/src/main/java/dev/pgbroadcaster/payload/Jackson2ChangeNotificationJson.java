package dev.pgbroadcaster.payload;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.pgbroadcaster.ChangeNotification;

/**
 * {@link ChangeNotificationJson} with Jackson 2.
 */
final class Jackson2ChangeNotificationJson extends ChangeNotificationJson {

    private final ObjectReader reader = JsonMapper.builder()
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        // A number or boolean where a name belongs means the payload was not written for us.
        .withCoercionConfig(LogicalType.Textual, (coercion) -> coercion
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .build()
        .readerFor(ChangeNotification.class)
        .without(JsonParser.Feature.ALLOW_COMMENTS);

    private final ObjectMapper writer = new ObjectMapper();

    @Override
    ChangeNotification read(String payload) throws InvalidPayloadException {
        try {
            return this.reader.readValue(payload);
        }
        catch (IOException ex) {
            throw notTheExpectedShape(ex instanceof JsonProcessingException json ? json.getOriginalMessage() : ex.getMessage());
        }
    }

    @Override
    public String write(ChangeNotification notification) {
        try {
            return this.writer.writeValueAsString(notification);
        }
        catch (JsonProcessingException ex) {
            throw new IllegalStateException("Could not render " + ChangeNotification.class.getSimpleName() + " as JSON", ex);
        }
    }

}
