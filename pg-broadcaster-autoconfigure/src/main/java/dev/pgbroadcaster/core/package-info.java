/**
 * The broadcaster itself, a thin front that wires the listener to decoding and dispatch and runs their lifecycle:
 * {@link dev.pgbroadcaster.core.PgBroadcaster}, its {@link dev.pgbroadcaster.core.BroadcasterSettings} (checked once,
 * naming the property at fault), the intake on the listener thread, the observers composed as one, and the watch that logs what makes it
 * unhealthy although connected (a stuck listener, a filling server notification queue).
 * <p>
 * Not API: public only so that the auto-configuration can wire it.
 */
package dev.pgbroadcaster.core;
