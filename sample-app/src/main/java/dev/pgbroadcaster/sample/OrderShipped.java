package dev.pgbroadcaster.sample;

/**
 * An application event that every instance of the sample receives: {@link OrderWriter} sends it with
 * {@code PgNotifier} on the {@code order-events} channel, whose payload type is this record.
 *
 * @param orderId the order that was shipped
 * @param trackingCode the parcel's tracking code
 */
public record OrderShipped(long orderId, String trackingCode) {

}
