package dev.pgbroadcaster.support;

/**
 * Thrown when a setting of the broadcaster is out of range, naming the property that sets it, so that the
 * auto-configuration can report it as a property to fix and code that builds the settings itself still reads
 * which one is wrong.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private final String property;

    private final int index;

    private final String problem;

    /**
     * @param property the property that sets it, for example {@code pg.broadcaster.dispatch.threads}
     * @param problem what is wrong, as a sentence that follows the property's name
     */
    public InvalidSettingException(String property, String problem) {
        this(property, -1, problem);
    }

    /**
     * @param property the property that sets a list the setting is part of
     * @param index the position of the wrong element in that list, or -1
     * @param problem what is wrong, as a sentence that follows the property's name
     */
    public InvalidSettingException(String property, int index, String problem) {
        super(property + ((index >= 0) ? "[" + index + "]" : "") + " " + problem);
        this.property = property;
        this.index = index;
        this.problem = problem;
    }

    public String getProperty() {
        return this.property;
    }

    /**
     * Returns the position of the wrong element in the list that {@link #getProperty()} sets, or -1.
     */
    public int getIndex() {
        return this.index;
    }

    public String getProblem() {
        return this.problem;
    }

}
