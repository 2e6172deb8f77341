package dev.pgbroadcaster.autoconfigure;

import dev.pgbroadcaster.BroadcasterConnectedEvent;
import dev.pgbroadcaster.BroadcasterDisconnectedEvent;
import dev.pgbroadcaster.ChangeNotification;
import dev.pgbroadcaster.journal.JournalTable;
import dev.pgbroadcaster.listening.LowLatencySocketFactory;
import dev.pgbroadcaster.trigger.TriggerInstaller;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * What an ahead-of-time compiled application needs to keep for pg-broadcaster: Jackson reads and writes
 * {@link ChangeNotification} reflectively, event listener conditions read the connection events reflectively, the
 * PostgreSQL driver creates the low-latency socket factory by name, and the trigger script is read from the
 * classpath.
 */
class PgBroadcasterRuntimeHints implements RuntimeHintsRegistrar {

    static final String TRIGGER_SCRIPT = TriggerInstaller.SCRIPT;

    @Override
    public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
        hints.resources().registerPattern(TRIGGER_SCRIPT);
        hints.resources().registerPattern(JournalTable.TABLE_SCRIPT);
        hints.resources().registerPattern(JournalTable.FUNCTIONS_SCRIPT);
        new BindingReflectionHintsRegistrar().registerReflectionHints(hints.reflection(), ChangeNotification.class);
        // Their accessors are read by SpEL in @EventListener conditions, such as "#event.reconnect".
        hints.reflection().registerType(BroadcasterConnectedEvent.class, MemberCategory.INVOKE_PUBLIC_METHODS);
        hints.reflection().registerType(BroadcasterDisconnectedEvent.class, MemberCategory.INVOKE_PUBLIC_METHODS);
        hints.reflection().registerType(LowLatencySocketFactory.class, MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
    }

}
