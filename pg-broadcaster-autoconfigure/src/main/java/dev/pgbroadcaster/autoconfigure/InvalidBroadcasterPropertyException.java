package dev.pgbroadcaster.autoconfigure;

/**
 * Thrown at startup when a {@code pg.broadcaster} property is missing or invalid.
 */
public final class InvalidBroadcasterPropertyException extends IllegalStateException {

    private final String property;

    InvalidBroadcasterPropertyException(String property, String problem) {
        super("Invalid pg-broadcaster configuration: " + property + " " + problem);
        this.property = property;
    }

    /**
     * Returns the name of the property at fault.
     */
    public String getProperty() {
        return this.property;
    }

}
