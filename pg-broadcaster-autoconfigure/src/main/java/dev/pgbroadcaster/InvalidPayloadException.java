package dev.pgbroadcaster;

/**
 * A payload that cannot be decoded as its channel's type; the notification is counted, logged and dropped.
 */
final class InvalidPayloadException extends Exception {

    InvalidPayloadException(String reason) {
        super(reason, null, false, false);
    }

}
