/**
 * Payloads in and out: {@link dev.pgbroadcaster.ChangeNotification}'s JSON form, read strictly, with Jackson 2 or
 * Jackson 3, and each channel's configured type read and written with the application's mapper.
 * <p>
 * Not API: public only so that the auto-configuration can wire it. Applications plug their own readers in through
 * {@link dev.pgbroadcaster.PayloadReader} and {@link dev.pgbroadcaster.PayloadWriter}.
 */
package dev.pgbroadcaster.payload;
