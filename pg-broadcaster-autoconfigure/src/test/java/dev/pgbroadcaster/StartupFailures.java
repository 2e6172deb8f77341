package dev.pgbroadcaster;

import dev.pgbroadcaster.autoconfigure.InvalidBroadcasterPropertyException;

import org.springframework.boot.test.context.assertj.AssertableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finds why an application failed to start, among the causes Spring wraps it in.
 */
public final class StartupFailures {

    private StartupFailures() {
    }

    /**
     * Returns the {@link InvalidBroadcasterPropertyException} that stopped {@code context}.
     */
    public static Throwable invalidProperty(AssertableApplicationContext context) {
        return cause(context, InvalidBroadcasterPropertyException.class);
    }

    /**
     * Returns the first cause of {@code context}'s startup failure that is a {@code type}.
     */
    public static Throwable cause(AssertableApplicationContext context, Class<? extends Throwable> type) {
        assertThat(context).hasFailed();
        for (Throwable each = context.getStartupFailure(); each != null; each = each.getCause()) {
            if (type.isInstance(each)) {
                return each;
            }
        }
        throw new AssertionError("No " + type.getSimpleName() + " among the causes of the startup failure",
                context.getStartupFailure());
    }

}
