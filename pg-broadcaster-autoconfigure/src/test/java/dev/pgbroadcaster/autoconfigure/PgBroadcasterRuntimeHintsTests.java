package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.journal.JournalTable;
import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.ExecutableHint;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.annotation.AnnotatedElementUtils;

import static org.assertj.core.api.Assertions.assertThat;

class PgBroadcasterRuntimeHintsTests {

    private final RuntimeHints hints = new RuntimeHints();

    PgBroadcasterRuntimeHintsTests() {
        new PgBroadcasterRuntimeHints().registerHints(this.hints, getClass().getClassLoader());
    }

    @Test
    void theTriggerScriptIsKept() {
        assertThat(RuntimeHintsPredicates.resource().forResource(PgBroadcasterRuntimeHints.TRIGGER_SCRIPT)).accepts(this.hints);
        assertThat(RuntimeHintsPredicates.resource().forResource(JournalTable.TABLE_SCRIPT)).accepts(this.hints);
        assertThat(RuntimeHintsPredicates.resource().forResource(JournalTable.FUNCTIONS_SCRIPT)).accepts(this.hints);
    }

    @Test
    void jacksonCanBindChangeNotification() {
        assertThat(RuntimeHintsPredicates.reflection().onType(ChangeNotification.class)
            .withMemberCategories(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS)).accepts(this.hints);
        assertThat(this.hints.reflection().getTypeHint(ChangeNotification.class).methods())
            .extracting(ExecutableHint::getName)
            .contains("schema", "table", "action");
    }

    @Test
    void eventListenerConditionsCanReadTheConnectionEvents() {
        for (Class<?> event : new Class<?>[] { BroadcasterConnectedEvent.class, BroadcasterDisconnectedEvent.class }) {
            assertThat(RuntimeHintsPredicates.reflection().onType(event)
                .withMemberCategories(MemberCategory.INVOKE_PUBLIC_METHODS)).accepts(this.hints);
        }
    }

    @Test
    void theDriverCanCreateTheLowLatencySocketFactoryByName() {
        assertThat(RuntimeHintsPredicates.reflection().onType(LowLatencySocketFactory.class)
            .withMemberCategories(MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS)).accepts(this.hints);
    }

    @Test
    void theAutoConfigurationImportsTheHints() {
        ImportRuntimeHints imported = AnnotatedElementUtils.findMergedAnnotation(PgBroadcasterAutoConfiguration.class,
                ImportRuntimeHints.class);
        assertThat(imported).isNotNull();
        assertThat(imported.value()).contains(PgBroadcasterRuntimeHints.class);
    }

}
