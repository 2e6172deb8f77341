package dev.pgbroadcaster;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * Reads a NOTIFY payload as a {@link ChangeNotification}: a JSON object whose {@code schema}, {@code table}
 * and {@code action} are non-blank strings. Other fields are ignored.
 */
final class ChangeNotificationDecoder {

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

    ChangeNotification decode(String payload) throws InvalidPayloadException {
        if (payload == null || payload.isBlank()) {
            throw new InvalidPayloadException("the payload is empty");
        }
        ChangeNotification notification;
        try {
            notification = this.reader.readValue(payload);
        }
        catch (IOException ex) {
            throw new InvalidPayloadException("it is not a JSON object of the expected shape: "
                    + PayloadDecoder.firstLine(ex instanceof JsonProcessingException json ? json.getOriginalMessage() : ex.getMessage()));
        }
        if (notification == null) {
            throw new InvalidPayloadException("it is JSON null");
        }
        requireText("schema", notification.schema());
        requireText("table", notification.table());
        requireText("action", notification.action());
        return notification;
    }

    private static void requireText(String field, String value) throws InvalidPayloadException {
        if (value == null || value.isBlank()) {
            throw new InvalidPayloadException("its \"" + field + "\" field is missing or blank");
        }
    }

}
