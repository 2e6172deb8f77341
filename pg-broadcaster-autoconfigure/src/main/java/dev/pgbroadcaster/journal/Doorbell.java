package dev.pgbroadcaster.journal;

/**
 * What the journal's writer ({@code pg_broadcaster_journal_write}) notifies when it writes a row: {@code P} or
 * {@code R}, then {@code <id>/<transaction>/<length of the channel in characters>/<channel>}, then, after {@code P},
 * the payload itself; after {@code R} the payload was too long to come along and is read from the row.
 *
 * @param id the row's id
 * @param xid the writing transaction
 * @param channel the channel the change is for
 * @param payload the payload, or {@code null} when it must be read from the row
 */
record Doorbell(long id, long xid, String channel, String payload) {

    /**
     * Reads a doorbell notification's payload.
     * @throws IllegalArgumentException if it is not one
     */
    static Doorbell parse(String text) {
        if (text == null || text.length() < 2 || (text.charAt(0) != 'P' && text.charAt(0) != 'R')) {
            throw new IllegalArgumentException("it does not start with P or R");
        }
        int idEnd = text.indexOf('/', 1);
        int xidEnd = (idEnd > 0) ? text.indexOf('/', idEnd + 1) : -1;
        int lengthEnd = (xidEnd > 0) ? text.indexOf('/', xidEnd + 1) : -1;
        if (lengthEnd < 0) {
            throw new IllegalArgumentException("it lacks the id, transaction or channel length");
        }
        try {
            long id = Long.parseLong(text, 1, idEnd, 10);
            long xid = Long.parseLong(text, idEnd + 1, xidEnd, 10);
            int channelLength = Integer.parseInt(text, xidEnd + 1, lengthEnd, 10);
            int channelStart = lengthEnd + 1;
            // The length counts characters, as PostgreSQL does, not UTF-16 units.
            int channelEnd = text.offsetByCodePoints(channelStart, channelLength);
            String channel = text.substring(channelStart, channelEnd);
            String payload = (text.charAt(0) == 'P') ? text.substring(channelEnd) : null;
            return new Doorbell(id, xid, channel, payload);
        }
        catch (NumberFormatException | IndexOutOfBoundsException ex) {
            throw new IllegalArgumentException("its id, transaction or channel is malformed");
        }
    }

}
