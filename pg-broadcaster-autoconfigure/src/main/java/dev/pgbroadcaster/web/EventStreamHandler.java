package dev.pgbroadcaster.web;

import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The WebFlux endpoint of the event stream, routed at {@code pg.broadcaster.web.path}: it opens a stream on the
 * hub, with the exchange's principal (with Spring Security its {@code Authentication}), and answers with a body fed
 * by the client's writer thread as fast as the connection takes it. A request the hub refuses gets its status and a
 * short text.
 */
public final class EventStreamHandler implements HandlerFunction<ServerResponse> {

    private static final MediaType EVENT_STREAM = new MediaType(MediaType.TEXT_EVENT_STREAM, StandardCharsets.UTF_8);

    private static final MediaType TEXT = new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8);

    private final EventStreamHub hub;

    /**
     * @param hub the hub the streams are opened on
     */
    public EventStreamHandler(EventStreamHub hub) {
        this.hub = hub;
    }

    /**
     * Opens a stream, or answers why not.
     * @param request the request, whose query parameters filter the stream
     * @return the response: the stream, or the refusal
     */
    @Override
    public Mono<ServerResponse> handle(ServerRequest request) {
        return request.principal()
            .map((principal) -> Optional.<Principal>of(principal))
            .defaultIfEmpty(Optional.empty())
            .flatMap((principal) -> open(request, principal.orElse(null)));
    }

    private Mono<ServerResponse> open(ServerRequest request, Principal principal) {
        FluxStreamOutput output = new FluxStreamOutput();
        EventStreamHub.Admission admission = this.hub.open(principal, parameters(request),
                request.headers().firstHeader("Last-Event-ID"), output);
        if (!admission.isOpen()) {
            return ServerResponse.status(admission.status()).contentType(TEXT).bodyValue(admission.message() + "\n");
        }
        output.onGone(admission::clientGone);
        return ServerResponse.ok()
            .contentType(EVENT_STREAM)
            .header("Cache-Control", "no-cache")
            // Tells nginx not to buffer the stream.
            .header("X-Accel-Buffering", "no")
            // Each piece flushed as it comes: an event, a heartbeat.
            .body((response, context) -> response.writeAndFlushWith(output.body().map(Mono::just)));
    }

    private static Map<String, List<String>> parameters(ServerRequest request) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        // A parameter without '=' has no value here, where a servlet request has an empty one.
        request.queryParams().forEach((name, values) -> parameters.put(name,
                values.stream().map((value) -> (value != null) ? value : "").toList()));
        return parameters;
    }

}
