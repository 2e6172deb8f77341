package dev.pgbroadcaster.payload;

/**
 * A payload that cannot be decoded as its channel's type; the notification is counted, logged and dropped.
 */
public final class InvalidPayloadException extends Exception {

    public InvalidPayloadException(String reason) {
        super(reason, null, false, false);
    }

}
