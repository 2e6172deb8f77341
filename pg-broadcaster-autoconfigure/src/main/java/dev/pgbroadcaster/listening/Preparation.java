package dev.pgbroadcaster.listening;

import java.sql.SQLException;

/**
 * Database work the broadcaster does once before it listens, such as installing the triggers that notify it.
 * It is done when the broadcaster starts; when the database cannot be reached then, the application starts
 * anyway and the listener does it before it announces its first connection, so a
 * {@link dev.pgbroadcaster.BroadcasterConnectedEvent} always comes after it.
 */
public interface Preparation {

    /**
     * Says what it does, to complete "could not ..." in log lines, for example "install the triggers of
     * pg.broadcaster.triggers.tables".
     */
    String description();

    /**
     * Does the work.
     * @throws SQLException only when the database cannot be reached: the work is tried again later
     * @throws RuntimeException when it cannot succeed: at start, startup fails with it
     */
    void prepare() throws SQLException;

    /**
     * Returns a preparation that does {@code first}, then {@code then}; done again, it does both again, so each
     * must be safe to repeat.
     */
    static Preparation inOrder(Preparation first, Preparation then) {
        return new Preparation() {

            @Override
            public String description() {
                return first.description() + " and " + then.description();
            }

            @Override
            public void prepare() throws SQLException {
                first.prepare();
                then.prepare();
            }

        };
    }

}
