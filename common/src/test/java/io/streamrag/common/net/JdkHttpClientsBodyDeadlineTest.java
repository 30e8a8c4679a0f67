package io.streamrag.common.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request's timeout bounds its whole exchange, body included: a server that sends the headers and then stalls or
 * trickles (the JDK's own timeout stops at the headers) fails the request at its timeout, its connection is closed (the
 * server sees the client hang up), and the next request goes through.
 */
class JdkHttpClientsBodyDeadlineTest {

    /** Longer than any timeout below: a stalled body the client does not cut off holds the call this long. */
    private static final long STALL_MS = 30_000;

    private ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    /** Connections whose client hung up while the server stalled or trickled. */
    private final CountDownLatch hungUp = new CountDownLatch(1);
    private final AtomicInteger hungUpCount = new AtomicInteger();
    private String base;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        base = "http://127.0.0.1:" + server.getLocalPort();
        threads.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    threads.execute(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        threads.shutdownNow();
    }

    /** One request per connection: /fast answers at once, /stall sends headers and a first chunk, /trickle a byte at a time. */
    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String head = readHead(in);
            OutputStream out = s.getOutputStream();
            if (head.startsWith("GET /fast")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6\r\n{\"id\":\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (head.startsWith("GET /stall")) {
                s.setSoTimeout((int) STALL_MS);
                if (in.read() == -1) { // the client closed the connection: it let go of the call
                    hungUpCount.incrementAndGet();
                    hungUp.countDown();
                }
                return;
            }
            long until = System.currentTimeMillis() + STALL_MS;
            while (System.currentTimeMillis() < until) { // /trickle: one byte every 50 ms, never the end
                Thread.sleep(50);
                try {
                    out.write("1\r\n \r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    hungUpCount.incrementAndGet();
                    hungUp.countDown();
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the test is over
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return b.toString();
    }

    private HttpRequest get(String path, long timeoutMs) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMillis(timeoutMs)).build();
    }

    /** Sends on another thread, so a send that never returns fails the test instead of hanging it. */
    private static CompletableFuture<HttpResponse<byte[]>> sendElsewhere(HttpClient client, HttpRequest request) {
        return JdkHttpClientsTest.sendElsewhere(client, request, HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aBodyThatStallsAfterTheHeadersFailsAtTheRequestTimeoutAndFreesItsConnection() throws Exception {
        try (JdkHttpClients clients = new JdkHttpClients()) {
            HttpClient client = clients.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<byte[]>> stalled = sendElsewhere(client, get("/stall", 500));
            assertThatThrownBy(() -> stalled.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(HttpTimeoutException.class);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(tookMs).as("the request timeout covers the body").isBetween(400L, 5_000L);
            // The exchange was aborted, not just left behind: the server sees its connection closed.
            assertThat(hungUp.await(5, TimeUnit.SECONDS)).as("the client closed the stalled connection").isTrue();
            // And the client goes on: the next request gets its answer.
            assertThat(client.send(get("/fast", 2_000), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi");
        }
    }

    @Test
    void aTricklingBodyAsyncFailsAtTheRequestTimeout() throws Exception {
        try (JdkHttpClients clients = new JdkHttpClients()) {
            HttpClient client = clients.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<String>> trickling = client.sendAsync(get("/trickle", 600),
                    HttpResponse.BodyHandlers.ofString());
            assertThatThrownBy(() -> trickling.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseInstanceOf(HttpTimeoutException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 5_000L);
            assertThat(hungUp.await(5, TimeUnit.SECONDS)).as("the client closed the trickling connection").isTrue();
            assertThat(client.sendAsync(get("/fast", 2_000), HttpResponse.BodyHandlers.ofString())
                    .get(10, TimeUnit.SECONDS).body()).isEqualTo("hi");
        }
    }

    @Test
    void aRequestWithoutATimeoutIsNotCutOffAndAFastOneIsNotEither() throws Exception {
        try (JdkHttpClients clients = new JdkHttpClients()) {
            HttpClient client = clients.newBuilder().build();
            // Many quick answers well inside their timeout: none is cut off by a deadline left behind.
            for (int i = 0; i < 20; i++) {
                assertThat(client.send(get("/fast", 300), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi");
            }
            Thread.sleep(400);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/fast")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi");
            // Without a timeout a stalled body still waits (the caller chose no bound): not failed early.
            CompletableFuture<HttpResponse<byte[]>> unbounded = sendElsewhere(client,
                    HttpRequest.newBuilder(URI.create(base + "/stall")).build());
            Thread.sleep(700);
            assertThat(unbounded).isNotDone();
            unbounded.cancel(true);
        }
    }

    @Test
    void interruptingASendWhoseBodyStallsClosesItsConnection() throws Exception {
        try (JdkHttpClients clients = new JdkHttpClients()) {
            HttpClient client = clients.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Thread[] sender = new Thread[1];
            CountDownLatch sending = new CountDownLatch(1);
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                sending.countDown();
                try {
                    client.send(get("/stall", 60_000), HttpResponse.BodyHandlers.ofByteArray());
                    ended.complete(null);
                } catch (Throwable e) {
                    ended.complete(e);
                }
            });
            sender[0] = t;
            t.start();
            assertThat(sending.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(500); // the headers have come, the body stalls
            t.interrupt(); // how a call is aborted (a hedge won, the vote was decided)
            assertThat(ended.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
            assertThat(hungUp.await(5, TimeUnit.SECONDS)).as("the aborted exchange closed its connection").isTrue();
        }
    }
}
