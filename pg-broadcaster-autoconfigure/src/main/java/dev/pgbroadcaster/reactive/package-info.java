/**
 * The reactive stream: Reactor {@code Flux}es of the delivered notifications, fed as a sink of the dispatcher, each
 * subscriber with its own bounded buffer that the overflow policy governs, and emitted on threads of its own so that
 * a subscriber never runs on the dispatch thread. Only loaded when Reactor is on the classpath.
 * <p>
 * Not API: public only so that the auto-configuration can wire it. What an application uses is
 * {@link dev.pgbroadcaster.ReactiveBroadcaster}.
 */
package dev.pgbroadcaster.reactive;
