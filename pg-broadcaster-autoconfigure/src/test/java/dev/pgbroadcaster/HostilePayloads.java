package dev.pgbroadcaster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Payloads written to hurt a listener: malformed and truncated JSON, wrong types, arrays, nulls, empty ones,
 * the largest PostgreSQL sends (7,999 bytes), nesting past the parser's limit, unicode and control characters.
 * Some are odd but valid, and must be delivered as written; the others must be dropped and counted.
 */
public final class HostilePayloads {

    /** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
    static final int MAX_BYTES = 7999;

    private static final String VALID = "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\"}";

    /**
     * @param description what it is
     * @param payload what is sent
     * @param expected what must be delivered, or {@code null} when it must be dropped and counted
     */
    public record Hostile(String description, String payload, ChangeNotification expected) {

        public boolean valid() {
            return this.expected != null;
        }

    }

    private HostilePayloads() {
    }

    public static List<Hostile> all() {
        List<Hostile> all = new ArrayList<>();
        // Empty, blank and not an object at all.
        invalid(all, "empty", "");
        invalid(all, "a space", " ");
        invalid(all, "tabs and newlines", "\t\r\n\t");
        invalid(all, "JSON null", "null");
        invalid(all, "JSON true", "true");
        invalid(all, "a number", "42");
        invalid(all, "a number out of any range", "-1e999999");
        invalid(all, "a string", "\"INSERT\"");
        invalid(all, "an empty array", "[]");
        invalid(all, "an array holding a valid notification", "[" + VALID + "]");
        invalid(all, "an empty object", "{}");
        invalid(all, "plain text", "table t changed");
        invalid(all, "XML", "<change schema=\"public\" table=\"t\" action=\"INSERT\"/>");
        // Truncated and malformed.
        invalid(all, "a lone brace", "{");
        invalid(all, "truncated before the last field", "{\"schema\":\"public\",\"table\":\"t\"");
        invalid(all, "truncated inside a string", "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INS");
        invalid(all, "truncated after a name", "{\"schema\":");
        invalid(all, "trailing text", VALID + " trailing");
        invalid(all, "two objects", VALID + VALID);
        invalid(all, "single quotes", "{'schema':'public','table':'t','action':'INSERT'}");
        invalid(all, "unquoted names", "{schema:\"public\",table:\"t\",action:\"INSERT\"}");
        invalid(all, "a trailing comma", "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\",}");
        invalid(all, "a missing comma", "{\"schema\":\"public\" \"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a comment after", VALID + " // comment");
        invalid(all, "a comment before", "/* comment */" + VALID);
        invalid(all, "a bracket for a brace", "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\"]");
        invalid(all, "an invalid escape", "{\"schema\":\"\\x41\",\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a raw control character in a string", "{\"schema\":\"pub\u0001lic\",\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a raw newline in a string", "{\"schema\":\"pub\nlic\",\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a raw escape character", "\u001b[31m" + VALID);
        // Missing, empty and wrongly typed fields.
        invalid(all, "no schema", "{\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "no table", "{\"schema\":\"public\",\"action\":\"INSERT\"}");
        invalid(all, "no action", "{\"schema\":\"public\",\"table\":\"t\"}");
        invalid(all, "an empty schema", "{\"schema\":\"\",\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a blank table", "{\"schema\":\"public\",\"table\":\"   \",\"action\":\"INSERT\"}");
        invalid(all, "a null table", "{\"schema\":\"public\",\"table\":null,\"action\":\"INSERT\"}");
        invalid(all, "a number for a name", "{\"schema\":1,\"table\":\"t\",\"action\":\"INSERT\"}");
        invalid(all, "a decimal for a name", "{\"schema\":\"public\",\"table\":1.5,\"action\":\"INSERT\"}");
        invalid(all, "a boolean for a name", "{\"schema\":\"public\",\"table\":\"t\",\"action\":true}");
        invalid(all, "an array for a name", "{\"schema\":\"public\",\"table\":[\"t\"],\"action\":\"INSERT\"}");
        invalid(all, "an object for a name", "{\"schema\":\"public\",\"table\":{\"name\":\"t\"},\"action\":\"INSERT\"}");
        invalid(all, "a 1,001-digit number in an extra field",
                "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\",\"n\":" + "9".repeat(1001) + "}");
        // Deep nesting, past the parser's limit of 1,000 levels.
        invalid(all, "arrays nested 3,999 deep (7,998 bytes)", "[".repeat(3999) + "]".repeat(3999));
        invalid(all, "objects nested 1,300 deep", "{\"a\":".repeat(1300) + "1" + "}".repeat(1300));
        invalid(all, "a valid notification with an extra field nested 1,500 deep",
                "{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\",\"x\":" + "[".repeat(1500) + "]".repeat(1500) + "}");
        // The largest payload PostgreSQL sends.
        invalid(all, "7,999 bytes of text", "x".repeat(MAX_BYTES));
        invalid(all, "7,999 bytes of an unterminated string", padTo("{\"schema\":\"", 'a', ""));
        invalid(all, "7,999 bytes of two-byte characters, cut off after a name", padTo("{\"schema\":\"", 'é', "\",\"table\":"));

        // Odd, but valid: delivered as written.
        valid(all, "accented and CJK names", "{\"schema\":\"schéma\",\"table\":\"表\",\"action\":\"INSERT\"}",
                new ChangeNotification("schéma", "表", "INSERT"));
        valid(all, "a four-byte character", "{\"schema\":\"public\",\"table\":\"orders_\uD83D\uDE80\",\"action\":\"INSERT\"}",
                new ChangeNotification("public", "orders_\uD83D\uDE80", "INSERT"));
        valid(all, "a right-to-left override and a combining accent",
                "{\"schema\":\"\u202Eevil\",\"table\":\"e\u0301\",\"action\":\"UPDATE\"}",
                new ChangeNotification("\u202Eevil", "e\u0301", "UPDATE"));
        valid(all, "escaped control characters", "{\"schema\":\"a\\u0001b\\u001fc\",\"table\":\"t\\tab\",\"action\":\"INSERT\\n\"}",
                new ChangeNotification("a\u0001b\u001fc", "t\tab", "INSERT\n"));
        valid(all, "an escaped NUL", "{\"schema\":\"public\",\"table\":\"t\\u0000\",\"action\":\"DELETE\"}",
                new ChangeNotification("public", "t\u0000", "DELETE"));
        valid(all, "whitespace all around", " \n\t" + VALID + "\r\n ", new ChangeNotification("public", "t", "INSERT"));
        valid(all, "pretty-printed, fields in another order",
                "{\n  \"action\" : \"TRUNCATE\",\n  \"table\" : \"t\",\n  \"schema\" : \"public\"\n}",
                new ChangeNotification("public", "t", "TRUNCATE"));
        valid(all, "extra fields of every type",
                "{\"id\":7,\"schema\":\"public\",\"x\":null,\"table\":\"t\",\"old\":{\"a\":[1,2.5,true,null,{\"b\":[]}]},"
                        + "\"action\":\"UPDATE\",\"big\":1e999999}",
                new ChangeNotification("public", "t", "UPDATE"));
        valid(all, "SQL in a name", "{\"schema\":\"public\",\"table\":\"t'; DROP TABLE t; --\",\"action\":\"INSERT\"}",
                new ChangeNotification("public", "t'; DROP TABLE t; --", "INSERT"));
        valid(all, "markup in a name", "{\"schema\":\"public\",\"table\":\"<script>alert(1)</script>\",\"action\":\"INSERT\"}",
                new ChangeNotification("public", "<script>alert(1)</script>", "INSERT"));
        String padded = padTo("{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\",\"pad\":\"", 'x', "\"}");
        valid(all, "7,999 bytes, valid, padded with an extra field", padded, new ChangeNotification("public", "t", "INSERT"));
        String multiByte = padTo("{\"schema\":\"public\",\"table\":\"t\",\"action\":\"INSERT\",\"pad\":\"", '€', "\"}");
        valid(all, "7,999 bytes, valid, padded with three-byte characters", multiByte,
                new ChangeNotification("public", "t", "INSERT"));
        String longTable = padTo("{\"schema\":\"public\",\"action\":\"INSERT\",\"table\":\"", 't', "\"}");
        valid(all, "7,999 bytes, valid, a table name of 7,950 characters", longTable,
                new ChangeNotification("public", longTable.substring(longTable.indexOf("\"table\":\"") + 9, longTable.length() - 2), "INSERT"));
        return List.copyOf(all);
    }

    /**
     * Returns {@code prefix}, then {@code filler} repeated, then {@code suffix}, as close to 7,999 bytes in UTF-8 as the
     * filler allows without going over; exactly 7,999 when the filler is one byte.
     */
    private static String padTo(String prefix, char filler, String suffix) {
        int fixed = bytes(prefix) + bytes(suffix);
        int fillerBytes = bytes(String.valueOf(filler));
        int count = (MAX_BYTES - fixed) / fillerBytes;
        StringBuilder text = new StringBuilder(prefix).append(String.valueOf(filler).repeat(count));
        // Top up with one-byte characters, so every payload is exactly the largest size.
        text.append("x".repeat(MAX_BYTES - fixed - count * fillerBytes));
        return text.append(suffix).toString();
    }

    static int bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void invalid(List<Hostile> all, String description, String payload) {
        all.add(new Hostile(description, payload, null));
    }

    private static void valid(List<Hostile> all, String description, String payload, ChangeNotification expected) {
        all.add(new Hostile(description, payload, expected));
    }

}
