package dev.pgbroadcaster.support;

import java.nio.charset.StandardCharsets;

/**
 * Rules for PostgreSQL identifiers (channel, table, schema and trigger names) and literals in the SQL that
 * pg-broadcaster writes. An identifier is always sent quoted, so dots, spaces, upper case and quotes are kept as
 * written and nothing in it can be read as SQL; one that PostgreSQL would truncate, or that holds a NUL, is refused.
 */
public final class Identifiers {

    /** PostgreSQL keeps identifiers of at most NAMEDATALEN - 1 = 63 bytes and silently truncates longer ones. */
    public static final int MAX_BYTES = 63;

    private Identifiers() {
    }

    /**
     * Returns why {@code name} cannot be a channel, or {@code null} when it can.
     */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "must not be empty";
        }
        if (name.isBlank()) {
            return "must not be blank";
        }
        if (name.indexOf('\0') >= 0) {
            return "must not contain a NUL character";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return "is " + bytes + " bytes long in UTF-8, but PostgreSQL truncates channel names to " + MAX_BYTES
                    + " bytes, so notifications sent to the full name would never arrive";
        }
        return null;
    }

    /**
     * Returns {@code name} as a quoted identifier, with embedded double quotes doubled.
     * @throws IllegalArgumentException if {@code name} is not a valid identifier (see {@link #problem(String)})
     */
    public static String quote(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException("Channel name '" + name + "' " + problem);
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /**
     * Returns {@code text} as a string literal, with embedded single quotes doubled.
     * @throws IllegalArgumentException if {@code text} holds a NUL character, which no literal can carry
     */
    public static String quoteLiteral(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A NUL character cannot be part of an SQL literal");
        }
        return "'" + text.replace("'", "''") + "'";
    }

}
