/**
 * Server-sent events: a hub that takes each delivered notification from the dispatcher (as a sink) and fans it out
 * to its clients, each with its own bounded buffer, overflow policy and writer thread, heartbeats, a cap on clients
 * and the resync event; independent of any web framework, behind a small output interface. The endpoints that open
 * streams on it are here too: the Spring MVC controller, only loaded when the application runs Spring MVC, and the
 * WebFlux handler with its backpressured output, only loaded when it runs WebFlux.
 * <p>
 * Not API: public only so that the auto-configuration can wire it. What an application implements is
 * {@link dev.pgbroadcaster.EventStreamAuthorization}.
 */
package dev.pgbroadcaster.web;
