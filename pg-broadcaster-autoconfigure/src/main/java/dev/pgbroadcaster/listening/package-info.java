/**
 * The listener connection and its thread: opening it (the low-latency socket, TCP keepalive, bounded round trips),
 * LISTEN, reading, the liveness check, the delivery check that finds a pooler in transaction mode, reconnecting with
 * back-off, and telling failures that fix themselves from those that will not.
 * <p>
 * Not API: public only where the auto-configuration or the driver (the socket factory, by name) needs it.
 */
package dev.pgbroadcaster.listening;
