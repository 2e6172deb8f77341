/**
 * Health and metrics: the health report (UP only while notifications can arrive, nothing holds the dispatch queue up and the
 * server's notification queue is not filling) and the {@code pg.broadcaster.*}
 * Micrometer meters, fed as a {@link dev.pgbroadcaster.BroadcasterObserver}.
 * <p>
 * Not API: public only so that the auto-configuration can wire it; an application may define its own
 * {@link dev.pgbroadcaster.actuate.BroadcasterMetrics} bean, which then replaces the starter's.
 */
package dev.pgbroadcaster.actuate;
