package dev.pgbroadcaster;

import java.security.Principal;
import java.util.List;
import java.util.Map;

/**
 * Decides what a client of the server-sent events endpoint ({@code pg.broadcaster.web.enabled=true}) may receive.
 * Define one as a bean; without one, every client that reaches the endpoint receives every notification that the
 * allow-list ({@code pg.broadcaster.web.channels}) and its own filters let through.
 * <p>
 * The endpoint is an ordinary endpoint of the application's web framework, so the application's security rules
 * (a Spring Security filter chain) apply to it before this is asked; the principal is the request's, with Spring
 * Security its {@code Authentication}.
 */
public interface EventStreamAuthorization {

    /**
     * Decides whether a client may open a stream; when it may not, it gets HTTP 403 and no stream. By default every
     * client may.
     * @param principal who made the request, or {@code null} when it is not authenticated
     * @param parameters the request's query parameters, each with its values in the order given
     * @return whether the client may open a stream
     */
    default boolean mayConnect(Principal principal, Map<String, List<String>> parameters) {
        return true;
    }

    /**
     * Decides whether a client may see a notification, once per client and notification, before it is queued for
     * that client. It is called on the broadcaster's dispatch thread, so it must be quick and must not block; a
     * notification it refuses is not counted as dropped, so the client cannot tell that it existed. One that throws
     * is taken as a refusal, and logged.
     * @param principal who opened the stream, or {@code null} when it is not authenticated
     * @param notification the notification as PostgreSQL delivered it
     * @param decoded the notification decoded for its channel (a {@link ChangeNotification}, the channel's payload
     * type), or {@code null} on a channel whose payloads are not decoded
     * @return whether the client receives it
     */
    boolean maySee(Principal principal, RawNotification notification, Object decoded);

}
