package dev.pgbroadcaster;

import dev.pgbroadcaster.payload.ChangeNotificationJson;

/**
 * A change to a table, as sent by the {@code pg_broadcaster_notify()} trigger function: the schema and
 * table that changed and the statement's action ({@code INSERT}, {@code UPDATE}, {@code DELETE} or
 * {@code TRUNCATE}).
 *
 * @param schema the schema of the table that changed
 * @param table the table that changed
 * @param action the kind of statement that changed it
 */
public record ChangeNotification(String schema, String table, String action) {

    /**
     * Returns the JSON form of this notification, the same shape the trigger function sends, for example
     * {@code {"schema":"public","table":"orders","action":"INSERT"}}.
     */
    @Override
    public String toString() {
        return Json.FORM.write(this);
    }

    // A holder, so that the record itself loads without touching Jackson until toString() is called.
    private static final class Json {

        private static final ChangeNotificationJson FORM = ChangeNotificationJson.using(ChangeNotification.class.getClassLoader());

    }

}
