/**
 * The broadcaster itself, a thin front that wires the listener to decoding and dispatch and runs their lifecycle:
 * {@link dev.pgbroadcaster.core.PgBroadcaster}, its {@link dev.pgbroadcaster.core.BroadcasterSettings} (checked once,
 * naming the property at fault), the intake on the listener thread, and the observers composed as one.
 * <p>
 * Not API: public only so that the auto-configuration can wire it.
 */
package dev.pgbroadcaster.core;
