package dev.pgbroadcaster.listening;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.Consumer;

import javax.net.SocketFactory;

/**
 * Makes the sockets of listener connections: plain TCP sockets whose reads answer the PostgreSQL driver's
 * 1 ms "message pending?" probe at once when nothing is buffered (see {@link LowLatencySocket}), which spares
 * every wake-up of the listener a millisecond.
 * <p>
 * The driver instantiates it by name from its {@code socketFactory} connection property, hence public.
 * {@link JdbcListenerConnectionFactory} sets that property; a connection you open yourself (a
 * {@link ListenerConnectionFactory} bean of your own) can use it with
 * {@code socketFactory=dev.pgbroadcaster.listening.LowLatencySocketFactory}. It suits connections that only listen:
 * a call of {@code getNotifications(1)} on it returns at once rather than after 1 ms when nothing is there.
 */
public final class LowLatencySocketFactory extends SocketFactory {

    private static final ThreadLocal<Consumer<? super LowLatencySocket>> observer = new ThreadLocal<>();

    /**
     * Called by the driver.
     */
    public LowLatencySocketFactory() {
    }

    @Override
    public Socket createSocket() {
        LowLatencySocket socket = new LowLatencySocket();
        Consumer<? super LowLatencySocket> current = observer.get();
        if (current != null) {
            current.accept(socket);
        }
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localAddress, localPort));
    }

    @Override
    public Socket createSocket(InetAddress address, int port) throws IOException {
        return connected(new InetSocketAddress(address, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket socket = createSocket();
        try {
            if (local != null) {
                socket.bind(local);
            }
            socket.connect(remote);
            return socket;
        }
        catch (IOException | RuntimeException ex) {
            socket.close();
            throw ex;
        }
    }

    /**
     * Runs {@code action} and shows {@code socketObserver} every socket this factory makes on the calling
     * thread meanwhile; the driver makes a connection's socket on the thread that opens it.
     */
    static <T, E extends Exception> T observingSockets(Consumer<? super LowLatencySocket> socketObserver,
            Action<T, E> action) throws E {
        Consumer<? super LowLatencySocket> previous = observer.get();
        observer.set(socketObserver);
        try {
            return action.run();
        }
        finally {
            if (previous != null) {
                observer.set(previous);
            }
            else {
                observer.remove();
            }
        }
    }

    @FunctionalInterface
    interface Action<T, E extends Exception> {

        T run() throws E;

    }

}
