package dev.pgbroadcaster;

/**
 * A notification as PostgreSQL delivered it, published as an application event beside the decoded one, and
 * alone on a channel whose payload type is {@code raw}. Listen for it to see the envelope (which channel, which
 * server process sent it) or to read payloads that are not JSON.
 *
 * @param channel the channel it was sent on
 * @param payload the payload text, empty when the sender gave none
 * @param processId the process id of the PostgreSQL backend that sent it ({@code pg_backend_pid()} of the
 * sending session)
 */
public record RawNotification(String channel, String payload, int processId) {

}
