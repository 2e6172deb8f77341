/**
 * pg-broadcaster's API: what an application imports. The events it receives ({@link dev.pgbroadcaster.ChangeNotification},
 * {@link dev.pgbroadcaster.RawNotification}, {@link dev.pgbroadcaster.BroadcasterConnectedEvent},
 * {@link dev.pgbroadcaster.BroadcasterDisconnectedEvent}), the beans it uses ({@link dev.pgbroadcaster.Broadcaster} and
 * its {@link dev.pgbroadcaster.Subscription}s, with Reactor {@link dev.pgbroadcaster.ReactiveBroadcaster},
 * {@link dev.pgbroadcaster.PgNotifier},
 * {@link dev.pgbroadcaster.BroadcasterStatistics}), the {@link dev.pgbroadcaster.OverflowPolicy} it sets, and the SPI it
 * may implement: {@link dev.pgbroadcaster.ListenerConnectionFactory}, {@link dev.pgbroadcaster.PayloadReader},
 * {@link dev.pgbroadcaster.PayloadWriter}, {@link dev.pgbroadcaster.BroadcasterObserver} and
 * {@link dev.pgbroadcaster.EventStreamAuthorization}, which decides what each client of the server-sent events
 * endpoint sees.
 * <p>
 * This is API: it changes only in ways that keep applications compiling. Every other package is implementation,
 * public only where the auto-configuration wires it, and may change in any release.
 */
package dev.pgbroadcaster;
