package dev.pgbroadcaster.autoconfigure;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every property is documented where users look: in the IDE, through the configuration metadata, and in the
 * README's property table.
 */
class ConfigurationMetadataTests {

    private final JsonNode metadata = read("META-INF/spring-configuration-metadata.json");

    @Test
    void everyPropertyHasADescription() {
        List<String> undocumented = new ArrayList<>();
        for (JsonNode property : this.metadata.get("properties")) {
            String description = property.path("description").asText("");
            if (property.get("name").asText().startsWith("pg.broadcaster.") && description.isBlank()) {
                undocumented.add(property.get("name").asText());
            }
        }
        assertThat(properties()).hasSizeGreaterThan(20);
        assertThat(undocumented).isEmpty();
    }

    @Test
    void theOverflowPolicyOffersItsValues() {
        List<String> values = new ArrayList<>();
        for (JsonNode hint : this.metadata.get("hints")) {
            if (hint.get("name").asText().equals("pg.broadcaster.dispatch.overflow-policy")) {
                hint.get("values").forEach((value) -> values.add(value.get("value").asText()));
            }
        }
        assertThat(values).containsExactly("block", "drop-newest", "drop-oldest");
    }

    @Test
    void theReadmeListsEveryProperty() throws Exception {
        Path readme = Paths.get("..", "README.md");
        assertThat(readme).exists();
        String text = Files.readString(readme);
        assertThat(properties()).allSatisfy((name) -> assertThat(text).contains("`" + name + "`"));
    }

    private List<String> properties() {
        List<String> names = new ArrayList<>();
        this.metadata.get("properties").forEach((property) -> names.add(property.get("name").asText()));
        return names;
    }

    private static JsonNode read(String resource) {
        try (InputStream in = PgBroadcasterProperties.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new ObjectMapper().readTree(in);
        }
        catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
