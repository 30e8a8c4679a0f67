package io.streamrag.common.net;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Closing JDK HTTP clients on Java 17, which has no close(): their threads end while the clients are still referenced,
 * and their requests fail at once instead of waiting for good on a stopped client.
 */
class JdkHttpClientsTest {

    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch slowArrived = new CountDownLatch(1);
    private HttpRequest fast;
    private HttpRequest slow;
    private HttpRequest huge;
    /** MiB the /huge handler has written. */
    private final java.util.concurrent.atomic.AtomicLong hugeSent = new java.util.concurrent.atomic.AtomicLong();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fast", ex -> {
            byte[] body = "hi".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.createContext("/slow", ex -> { // answers once the test is done
            slowArrived.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.createContext("/huge", ex -> { // a server that does not stop: 1 MiB chunks until the client hangs up
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[1 << 20];
            try {
                for (int i = 0; i < 4 * 1024 && hugeSent.incrementAndGet() > 0; i++) {
                    ex.getResponseBody().write(chunk);
                }
            } catch (IOException e) {
                // the client cut it off
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        fast = HttpRequest.newBuilder(URI.create(base + "/fast")).build();
        slow = HttpRequest.newBuilder(URI.create(base + "/slow")).build();
        huge = HttpRequest.newBuilder(URI.create(base + "/huge")).build();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private static long threadsOf(HttpClient client) {
        String text = client.toString();
        String prefix = "HttpClient-" + text.substring(text.lastIndexOf('(') + 1, text.length() - 1) + "-";
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
    }

    private static void awaitNoThreads(HttpClient client) throws InterruptedException {
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); threadsOf(client) > 0 && System.nanoTime() < until; ) {
            Thread.sleep(10);
        }
        assertThat(threadsOf(client)).as("threads of " + client).isZero();
    }

    /** Sends on another thread, so a send that never returns fails the test instead of hanging it. */
    private static CompletableFuture<HttpResponse<String>> sendElsewhere(HttpClient client, HttpRequest request) {
        return sendElsewhere(client, request, HttpResponse.BodyHandlers.ofString());
    }

    /** As {@link #sendElsewhere(HttpClient, HttpRequest)}, the body read by {@code body}. */
    static <T> CompletableFuture<HttpResponse<T>> sendElsewhere(HttpClient client, HttpRequest request,
                                                                HttpResponse.BodyHandler<T> body) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.send(request, body);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void closingEndsTheClientsThreadsAndFailsTheirRequests() throws Exception {
        JdkHttpClients clients = new JdkHttpClients();
        HttpClient client = clients.newBuilder().build();
        assertThat(client.send(fast, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi"); // selector, a worker
        assertThat(threadsOf(client)).isPositive();
        CompletableFuture<HttpResponse<String>> waiting = sendElsewhere(client, slow);
        assertThat(slowArrived.await(10, TimeUnit.SECONDS)).isTrue();

        clients.close();
        // The request waiting for its answer fails now, not when (if ever) the server answers.
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(IOException.class);
        awaitNoThreads(client); // the client is still referenced here: the close, not a collection, ended them
        // A request after the close fails at once (a stopped Java 17 client left it waiting for good).
        assertThatThrownBy(() -> sendElsewhere(client, fast).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasRootCauseInstanceOf(IOException.class);
        assertThat(client.sendAsync(fast, HttpResponse.BodyHandlers.ofString())).isCompletedExceptionally();
    }

    @Test
    void aClientBuiltAfterTheCloseIsClosedAtOnce() throws Exception {
        JdkHttpClients clients = new JdkHttpClients();
        clients.close();
        HttpClient late = clients.newBuilder().build(); // e.g. a lazily built model after its operator closed
        awaitNoThreads(late);
        assertThatThrownBy(() -> late.send(fast, HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    @Test
    void aBodyPastTheCapFailsTheRequestInsteadOfFillingTheHeap() throws Exception {
        try (JdkHttpClients clients = new JdkHttpClients()) {
            HttpClient client = clients.newBuilder().build();
            assertThat(client.send(fast, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi");
            assertThatThrownBy(() -> client.send(huge, HttpResponse.BodyHandlers.ofByteArray()))
                    .isInstanceOf(IOException.class).hasMessageContaining("larger than " + JdkHttpClients.MAX_RESPONSE_BYTES);
            assertThatThrownBy(() -> client.sendAsync(huge, HttpResponse.BodyHandlers.ofString()).get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasRootCauseInstanceOf(IOException.class)
                    .hasStackTraceContaining("larger than");
            // Cut off near the cap, not read to the server's end (4 GiB).
            assertThat(hugeSent.get()).isLessThan(2 * 64);
        }
    }
}
