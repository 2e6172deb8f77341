package dev.pgbroadcaster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import dev.pgbroadcaster.journal.JournalTable;
import dev.pgbroadcaster.payload.TraceEnvelope;
import dev.pgbroadcaster.support.Excerpts;
import dev.pgbroadcaster.support.Identifiers;
import dev.pgbroadcaster.support.ThrottledWarning;
import dev.pgbroadcaster.trigger.TriggerInstaller;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.ResultSetExtractor;

/**
 * Sends notifications through the application's {@link DataSource}. Inside a Spring transaction it joins it:
 * PostgreSQL delivers the notification when the transaction commits, and never when it rolls back. Every
 * instance of the application that listens on the channel receives it, which makes application events
 * cluster-wide.
 * <p>
 * Payloads are checked before the database is touched: the channel must be a valid channel name, and the
 * payload at most {@value #MAX_PAYLOAD_BYTES} bytes in UTF-8, PostgreSQL's limit.
 * <p>
 * {@link #throughJournal Through the journal}, each send writes a row to the journal table in the caller's
 * transaction and rings its doorbell at commit; listeners that were away replay the row, and a payload may be as
 * long as the journal allows.
 * <p>
 * {@link #propagatingTraces Propagating traces}, each send is a Micrometer observation {@value #SEND_OBSERVATION}
 * (with Micrometer Tracing a producer span), and the trace context travels ahead of the payload in an envelope that
 * the receiving broadcaster opens, so that its delivery continues the sender's trace. Listeners and payload readers
 * see the payload as it was given, and notifications from triggers or {@code psql} are never enveloped.
 */
public final class PgNotifier {

    /** The name of the observation of a send, when {@link #propagatingTraces propagating traces}. */
    public static final String SEND_OBSERVATION = "pg.broadcaster.send";

    private static final Log logger = LogFactory.getLog(PgNotifier.class);

    /** The longest payload PostgreSQL accepts, in bytes. */
    public static final int MAX_PAYLOAD_BYTES = 7999;

    private static final String NOTIFY = "SELECT pg_notify(?, ?)";


    private static final ResultSetExtractor<Void> IGNORE_RESULT = (result) -> null;

    private final JdbcTemplate jdbc;

    private final PayloadWriter writer;

    /** The statement that calls the journal table's writer, or {@code null} to send plain notifications. */
    private final String journal;

    private final int maxPayloadBytes;

    /** Observes each send and carries its trace context, or {@code null}. */
    private final ObservationRegistry observations;

    private final ThrottledWarning untracedWarning = new ThrottledWarning(logger, Duration.ofSeconds(10));

    /**
     * @param dataSource where notifications are sent; a transaction bound to it by Spring is joined
     * @param writer writes objects as payload text
     */
    public PgNotifier(DataSource dataSource, PayloadWriter writer) {
        this(new JdbcTemplate(dataSource), writer, null, MAX_PAYLOAD_BYTES, null);
    }

    private PgNotifier(JdbcTemplate jdbc, PayloadWriter writer, String journal, int maxPayloadBytes,
            ObservationRegistry observations) {
        this.jdbc = jdbc;
        this.writer = writer;
        this.journal = journal;
        this.maxPayloadBytes = maxPayloadBytes;
        this.observations = observations;
    }

    /**
     * Returns a notifier that writes each notification to the journal table {@code table} (as {@code table} or
     * {@code schema.table}, used as written) with the table's writer ({@code pg_broadcaster_journal_write} for the
     * default table), which rings the journal's doorbell at commit.
     * @param dataSource where notifications are sent; a transaction bound to it by Spring is joined
     * @param writer writes objects as payload text
     * @param table the journal table
     * @param maxPayloadBytes the longest payload it sends, in bytes of UTF-8
     * @return the notifier
     */
    public static PgNotifier throughJournal(DataSource dataSource, PayloadWriter writer, String table, int maxPayloadBytes) {
        String journalWriter = new JournalTable(TriggerInstaller.TableName.parse(table)).writer();
        return new PgNotifier(new JdbcTemplate(dataSource), writer, "SELECT " + journalWriter + "(?, ?)",
                maxPayloadBytes, null);
    }

    /**
     * Returns a notifier that sends as this one does, each send observed in {@code registry} as
     * {@value #SEND_OBSERVATION}, and the trace context that Micrometer Tracing's propagator writes for it
     * ({@code traceparent}, for one) carried in the payload's envelope. A payload that would be too long with the
     * envelope is sent without it, and a warning says so.
     * @param registry the application's observation registry
     * @return the notifier
     */
    public PgNotifier propagatingTraces(ObservationRegistry registry) {
        return new PgNotifier(this.jdbc, this.writer, this.journal, this.maxPayloadBytes, registry);
    }

    /**
     * Sends {@code payload} as it is.
     * @param channel the channel, used as written (a channel name is never parsed as SQL)
     * @param payload the payload text; {@code null} sends an empty payload
     * @throws IllegalArgumentException if the channel is not a valid channel name, or the payload is longer than
     * {@value #MAX_PAYLOAD_BYTES} bytes (through the journal, than its largest payload) or holds a NUL character
     * @throws org.springframework.dao.DataAccessException if the database refuses the notification
     */
    public void send(String channel, String payload) {
        String problem = Identifiers.problem(channel);
        if (problem != null) {
            throw new IllegalArgumentException("Cannot notify channel '" + channel + "': the name " + problem);
        }
        String text = (payload != null) ? payload : "";
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > this.maxPayloadBytes) {
            throw new IllegalArgumentException("Cannot notify channel '" + channel + "': the payload is " + bytes
                    + " bytes in UTF-8, but " + ((this.journal != null)
                            ? "pg.broadcaster.journal.max-payload allows at most " + this.maxPayloadBytes
                            : "PostgreSQL accepts at most " + MAX_PAYLOAD_BYTES + " (with pg.broadcaster.journal.enabled=true "
                                    + "longer ones travel through the journal)")
                    + ". Send a reference to the data (an id) rather than the data itself.");
        }
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    "Cannot notify channel '" + channel + "': the payload holds a NUL character, which PostgreSQL text cannot");
        }
        if (TraceEnvelope.looksEnveloped(text)) {
            throw new IllegalArgumentException("Cannot notify channel '" + channel
                    + "': the payload starts with the character U+0001, which marks a trace context's envelope");
        }
        if (this.observations == null || this.observations.isNoop()) {
            deliver(channel, text);
            return;
        }
        Map<String, String> trace = new LinkedHashMap<>();
        Observation observation = Observation.createNotStarted(SEND_OBSERVATION, () -> new SendContext(trace),
                this.observations)
            .contextualName(channel + " send")
            .lowCardinalityKeyValue("pg.broadcaster.channel", channel)
            .start();
        try (Observation.Scope scope = observation.openScope()) {
            deliver(channel, envelope(channel, trace, text, bytes));
        }
        catch (RuntimeException ex) {
            observation.error(ex);
            throw ex;
        }
        finally {
            observation.stop();
        }
    }

    private String envelope(String channel, Map<String, String> trace, String text, int bytes) {
        String enveloped = TraceEnvelope.wrap(trace, text);
        if (enveloped != text) {
            String prefix = enveloped.substring(0, enveloped.length() - text.length());
            int envelopedBytes = bytes + prefix.getBytes(StandardCharsets.UTF_8).length;
            if (envelopedBytes > this.maxPayloadBytes) {
                this.untracedWarning.warn(() -> "Sent a notification on channel " + Identifiers.quote(channel)
                        + " without its trace context: with it the payload would be " + envelopedBytes
                        + " bytes in UTF-8, over the limit of " + this.maxPayloadBytes, null);
                return text;
            }
        }
        return enveloped;
    }

    private void deliver(String channel, String text) {
        if (this.journal != null) {
            this.jdbc.query(this.journal, IGNORE_RESULT, channel, text);
        }
        else {
            this.jdbc.query(NOTIFY, IGNORE_RESULT, channel, text);
        }
    }

    /**
     * Sends {@code payload} as JSON (a {@link String} as it is), so that a channel whose payload type is the
     * object's class gets it back as an event of that class.
     * @param channel the channel, used as written
     * @param payload the object to send
     * @throws IllegalArgumentException if the object cannot be written, the channel is not a valid channel name,
     * or the payload is too long
     */
    public void send(String channel, Object payload) {
        if (payload == null || payload instanceof String) {
            send(channel, (String) payload);
            return;
        }
        String text;
        try {
            text = this.writer.write(payload);
        }
        catch (IOException ex) {
            throw new IllegalArgumentException("Cannot notify channel '" + channel + "': " + payload.getClass().getName()
                    + " cannot be written as JSON: " + Excerpts.firstLine(ex.getMessage()), ex);
        }
        send(channel, text);
    }

    /**
     * A sender's context, so that tracing makes a producer span and writes its propagation fields into the map
     * that becomes the envelope.
     */
    private static final class SendContext extends SenderContext<Map<String, String>> {

        SendContext(Map<String, String> trace) {
            super((carrier, key, value) -> {
                if (carrier != null) {
                    carrier.put(key, value);
                }
            });
            setCarrier(trace);
            setRemoteServiceName("postgresql");
        }

    }

}
