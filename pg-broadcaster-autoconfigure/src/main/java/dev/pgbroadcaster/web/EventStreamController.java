package dev.pgbroadcaster.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * The Spring MVC endpoint of the event stream, at {@code pg.broadcaster.web.path}: an ordinary handler, behind the
 * application's filters (Spring Security's among them), that opens a stream on the hub and hands it a
 * {@link ResponseBodyEmitter} without a timeout (heartbeats keep it alive). A request the hub refuses gets its
 * status and a short text.
 */
@Controller
public class EventStreamController {

    private static final MediaType EVENT_STREAM = new MediaType(MediaType.TEXT_EVENT_STREAM, StandardCharsets.UTF_8);

    private final EventStreamHub hub;

    /**
     * @param hub the hub the streams are opened on
     */
    public EventStreamController(EventStreamHub hub) {
        this.hub = hub;
    }

    /**
     * Opens a stream, or answers why not.
     * @param request the request, whose query parameters filter the stream
     * @param response the response, written directly when the stream is refused
     * @return the stream, or {@code null} when it was refused
     * @throws IOException when the refusal cannot be written
     */
    @GetMapping(path = "${pg.broadcaster.web.path:/pg-broadcaster/events}")
    public ResponseBodyEmitter stream(HttpServletRequest request, HttpServletResponse response) throws IOException {
        // No timeout: heartbeats keep proxies from closing it, and the hub ends it.
        ResponseBodyEmitter emitter = new ResponseBodyEmitter(0L);
        EventStreamHub.Admission admission = this.hub.open(request.getUserPrincipal(), parameters(request),
                request.getHeader("Last-Event-ID"), new EmitterOutput(emitter));
        if (!admission.isOpen()) {
            response.setStatus(admission.status());
            response.setContentType("text/plain;charset=UTF-8");
            response.getWriter().write(admission.message() + "\n");
            return null;
        }
        emitter.onCompletion(admission::clientGone);
        emitter.onError((ex) -> admission.clientGone());
        emitter.onTimeout(admission::clientGone);
        response.setContentType(EVENT_STREAM.toString());
        response.setHeader("Cache-Control", "no-cache");
        // Tells nginx not to buffer the stream.
        response.setHeader("X-Accel-Buffering", "no");
        return emitter;
    }

    private static Map<String, List<String>> parameters(HttpServletRequest request) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        request.getParameterMap().forEach((name, values) -> parameters.put(name, Arrays.asList(values)));
        return parameters;
    }

    /**
     * Writes a client's events through the emitter, from the client's writer thread.
     */
    private static final class EmitterOutput implements StreamOutput {

        private final ResponseBodyEmitter emitter;

        EmitterOutput(ResponseBodyEmitter emitter) {
            this.emitter = emitter;
        }

        @Override
        public void write(String text) throws IOException {
            try {
                this.emitter.send(text, EVENT_STREAM);
            }
            catch (IllegalStateException ex) {
                // The emitter has completed: the container saw the client go.
                throw new IOException(ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {
            try {
                this.emitter.complete();
            }
            catch (RuntimeException ex) {
                // Already completed, or the response is gone with the client.
            }
        }

    }

}
