package dev.pgbroadcaster.autoconfigure;

/**
 * Thrown at startup when a {@code pg.broadcaster} property is missing or invalid.
 */
public final class InvalidBroadcasterPropertyException extends IllegalStateException {

    private final String property;

    private final String problem;

    InvalidBroadcasterPropertyException(String property, String problem) {
        super("Invalid pg-broadcaster configuration: " + property + " " + problem);
        this.property = property;
        this.problem = problem;
    }

    /**
     * Returns the name of the property at fault.
     */
    public String getProperty() {
        return this.property;
    }

    /**
     * Returns what is wrong with the property, as a sentence that follows its name.
     */
    public String getProblem() {
        return this.problem;
    }

}
