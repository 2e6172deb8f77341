/**
 * Health and metrics: the health report (UP only while notifications can arrive) and the {@code pg.broadcaster.*}
 * Micrometer meters, fed as a {@link dev.pgbroadcaster.BroadcasterObserver}.
 * <p>
 * Not API: public only so that the auto-configuration can wire it; an application may define its own
 * {@link dev.pgbroadcaster.actuate.BroadcasterMetrics} bean, which then replaces the starter's.
 */
package dev.pgbroadcaster.actuate;
