package io.streamrag.common.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between two loopback ports that chaos tests and commands switch between up, down (connections
 * refused, open ones reset) and hanging (accepted, never answered), so that an outage of OpenSearch or a model
 * server can be staged without stopping the shared service. Both ends must be loopback addresses.
 */
public final class LoopbackProxy implements AutoCloseable {

    /** What the proxy does with connections. */
    public enum Mode { UP, DOWN, HANG }

    private final InetSocketAddress target;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService pumps = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "loopback-proxy");
        t.setDaemon(true);
        return t;
    });
    private volatile Mode mode = Mode.UP;
    private volatile ServerSocket server;
    private volatile boolean closed;

    private LoopbackProxy(InetSocketAddress target, int port) {
        this.target = target;
        this.port = port;
    }

    /** Starts a proxy on an ephemeral loopback port forwarding to {@code 127.0.0.1:targetPort}. */
    public static LoopbackProxy start(int targetPort) {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 0);
    }

    /** Starts a proxy on {@code listenPort} (0 = ephemeral) of 127.0.0.1; {@code target} must be loopback. */
    public static LoopbackProxy start(InetSocketAddress target, int listenPort) {
        if (target.getAddress() == null || !target.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("LoopbackProxy only forwards to loopback addresses, not " + target);
        }
        try {
            ServerSocket socket = bind(listenPort);
            LoopbackProxy proxy = new LoopbackProxy(target, socket.getLocalPort());
            proxy.listen(socket);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot bind the proxy on 127.0.0.1:" + listenPort, e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, for HTTP targets. */
    public String httpUrl() {
        return "http://127.0.0.1:" + port;
    }

    public Mode mode() {
        return mode;
    }

    /** Switches the mode: DOWN closes the listening socket (refused) and resets open connections. */
    public synchronized void mode(Mode next) {
        if (next == mode || closed) {
            return;
        }
        mode = next;
        if (next == Mode.DOWN) {
            closeQuietly(server);
            server = null;
            resetAll();
        } else {
            if (next == Mode.HANG) {
                resetAll(); // open connections would otherwise keep flowing
            }
            if (server == null) {
                try {
                    listen(bind(port));
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot re-bind the proxy on 127.0.0.1:" + port, e);
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly(server);
        resetAll();
        pumps.shutdownNow();
    }

    private static ServerSocket bind(int listenPort) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        return socket;
    }

    private void listen(ServerSocket socket) {
        server = socket;
        pumps.execute(() -> {
            while (!socket.isClosed()) {
                try {
                    accept(socket.accept());
                } catch (IOException e) {
                    return; // closed by mode(DOWN) or close()
                }
            }
        });
    }

    private void accept(Socket client) {
        // Registered under the lock mode() switches under: a connection accepted as the mode changes is either reset
        // with the others or refused, never left forwarding through an outage.
        synchronized (this) {
            if (mode == Mode.DOWN || closed) {
                // Accepted in the race with mode(DOWN): the JDK defers closing a socket an accept is blocked on.
                reset(client);
                return;
            }
            open.add(client);
            if (mode == Mode.HANG) {
                return; // held open, never answered, until reset
            }
        }
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 2_000);
        } catch (IOException e) {
            open.remove(client);
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        synchronized (this) {
            if (mode != Mode.UP || closed || !open.contains(client)) {
                // Switched while connecting upstream (resetAll has reset the client already, or does it now).
                open.remove(client);
                reset(client);
                closeQuietly(upstream);
                return;
            }
            open.add(upstream);
        }
        AtomicInteger running = new AtomicInteger(2);
        pumps.execute(() -> pump(client, upstream, running));
        pumps.execute(() -> pump(upstream, client, running));
    }

    /** Copies one direction; EOF half-closes the other side (HTTP clients rely on it), errors reset both. */
    private void pump(Socket from, Socket to, AtomicInteger running) {
        byte[] buffer = new byte[16 * 1024];
        boolean clean = false;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
            clean = true;
        } catch (IOException ignored) {
            // one side went away: close both below
        }
        if (!clean || running.decrementAndGet() == 0) {
            open.remove(from);
            open.remove(to);
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Resets every open connection; called under the lock, so none is registered meanwhile. */
    private void resetAll() {
        for (Socket socket : open) {
            open.remove(socket);
            reset(socket);
        }
    }

    /** Closes with a reset (RST), like a crashed server. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // nothing to do
        }
    }
}
