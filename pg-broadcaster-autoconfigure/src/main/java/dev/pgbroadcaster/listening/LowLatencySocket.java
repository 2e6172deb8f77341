package dev.pgbroadcaster.listening;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP socket that answers the PostgreSQL driver's "is another message pending?" probe at once instead of
 * after a millisecond.
 * <p>
 * After each batch of notifications pgjdbc ({@code PGStream.hasMessagePending()}) sets the socket timeout to
 * 1 ms and reads; when nothing is buffered the read times out and pgjdbc treats the timeout as "no". That
 * costs every wake-up of the listener about a millisecond. Here a read made while the timeout is exactly
 * {@value #PROBE_TIMEOUT_MILLIS} ms, when the kernel holds not a single byte for this socket, throws
 * {@link SocketTimeoutException} immediately: the answer the driver would have got a millisecond later. Any
 * other read is the plain socket's read, so the driver's {@code socketTimeout}, the waits of
 * {@code getNotifications(timeout)} and the idle wait behave as before.
 * <p>
 * With TLS the driver layers an {@code SSLSocket} over this socket; the SSL layer reads its records from this
 * socket's stream and forwards its timeouts here. A probe fails fast only when zero bytes are available, so no
 * bytes of a record are ever consumed or dropped by it; a record whose bytes are still on their way is left
 * for the next read exactly as a real 1 ms timeout would leave it (the JDK keeps a partly read record across
 * a socket timeout).
 */
final class LowLatencySocket extends Socket {

    /** The timeout pgjdbc sets for its probe and for nothing else. */
    static final int PROBE_TIMEOUT_MILLIS = 1;

    private final AtomicLong probesAnsweredAtOnce = new AtomicLong();

    private volatile int soTimeout;

    private volatile InputStream input;

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        super.setSoTimeout(timeout);
        this.soTimeout = timeout;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        InputStream current = this.input;
        if (current == null) {
            synchronized (this) {
                current = this.input;
                if (current == null) {
                    current = new ProbeAnsweringInputStream(super.getInputStream());
                    this.input = current;
                }
            }
        }
        return current;
    }

    /**
     * How many probes this socket answered without waiting.
     */
    long probesAnsweredAtOnce() {
        return this.probesAnsweredAtOnce.get();
    }

    private final class ProbeAnsweringInputStream extends FilterInputStream {

        ProbeAnsweringInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            answerProbeIfNothingBuffered();
            return this.in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length > 0) {
                answerProbeIfNothingBuffered();
            }
            return this.in.read(buffer, offset, length);
        }

        private void answerProbeIfNothingBuffered() throws IOException {
            if (LowLatencySocket.this.soTimeout == PROBE_TIMEOUT_MILLIS && this.in.available() == 0) {
                LowLatencySocket.this.probesAnsweredAtOnce.incrementAndGet();
                throw new ProbeTimeoutException();
            }
        }

    }

    /**
     * Thrown on every answered probe, which the driver catches and discards, so it skips the stack trace.
     */
    private static final class ProbeTimeoutException extends SocketTimeoutException {

        private static final long serialVersionUID = 1L;

        ProbeTimeoutException() {
            super("Nothing buffered (answered without waiting for the " + PROBE_TIMEOUT_MILLIS + " ms timeout)");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }

    }

}
