package io.streamrag.model;

import io.streamrag.model.testing.LocalModelServerExtension;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one request may cost the server: choices and body size are bounded, a client that stops mid-body does not keep
 * a worker thread, and looking at the faults does not change them.
 */
@Timeout(120)
class LocalModelServerLimitsTest {

    /** watsonx.ai's path asks for a bearer token (any) before it reads the body. */
    private static final String AUTH = "Authorization: Bearer local\r\n";
    private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"Which port?\"}]";

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        SERVER.setFaults(new Faults());
        for (Socket s : sockets) {
            s.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(SERVER.rootUrl() + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Before: every choice was answered in memory at once, and n=10^9 ran the server out of memory with the client left hanging. */
    @Test
    void aRequestForMoreChoicesThanTheLimitIsRefusedAtOnce() throws Exception {
        HttpResponse<String> r = send("POST", "/v1/chat/completions", "{\"model\":\"extractive\",\"n\":1000000000," + MESSAGES + "}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("at most " + LocalModelServer.MAX_CHOICES);
        assertThat(send("POST", "/v1/chat/completions", "{\"model\":\"extractive\",\"n\":" + LocalModelServer.MAX_CHOICES + ","
                + MESSAGES + "}").statusCode()).as("the limit itself").isEqualTo(200);
    }

    /** A raw connection that sends {@code head} and then what {@code body} writes, on its own thread; the first line answered. */
    private String statusLine(String head, Writer body) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), SERVER.port());
        sockets.add(socket);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread writer = new Thread(() -> {
            try {
                body.write(out);
            } catch (IOException e) {
                // the server answered and closed: what the test expects
            }
        });
        writer.setDaemon(true);
        writer.start();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    @Test
    void aBodyOverTheLimitIsRefusedWith413DeclaredOrChunked() throws Exception {
        byte[] mib = new byte[1 << 20];
        java.util.Arrays.fill(mib, (byte) ' ');
        for (String path : new String[] {"/v1/chat/completions", "/api/chat", "/ml/v1/text/chat"}) {
            // Declared: refused before any of it is read.
            assertThat(statusLine("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + AUTH
                    + "Content-Length: " + (64L << 20) + "\r\n\r\n", out -> out.write(mib, 0, 1024)))
                    .as(path + " declared").startsWith("HTTP/1.1 413");
            // Chunked: read up to the limit, then refused.
            assertThat(statusLine("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + AUTH
                    + "Transfer-Encoding: chunked\r\n\r\n", out -> {
                        for (int i = 0; i < 64; i++) {
                            out.write((Integer.toHexString(mib.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(mib);
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    })).as(path + " chunked").startsWith("HTTP/1.1 413");
        }
        assertThat(send("POST", "/v1/chat/completions", "{\"model\":\"extractive\"," + MESSAGES + "}").statusCode())
                .as("still answering").isEqualTo(200);
    }

    /** Before: any method replaced the faults with its (empty) body's, so a GET to look at them cleared them. */
    @Test
    void lookingAtTheFaultsLeavesThemAndOnlyPostChangesThemOrResets() throws Exception {
        SERVER.setFaults(Faults.parse("error=1.0"));
        HttpResponse<String> shown = send("GET", "/admin/faults", null);
        assertThat(shown.statusCode()).isEqualTo(200);
        assertThat(shown.body()).contains("\"faults\":\"" + Faults.parse("error=1.0") + "\"");
        assertThat(send("DELETE", "/admin/faults", null).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/admin/reset", null).statusCode()).isEqualTo(405);
        assertThat(send("POST", "/v1/chat/completions", "{\"model\":\"extractive\"," + MESSAGES + "}").statusCode())
                .as("the error fault still on").isEqualTo(500);
        assertThat(send("POST", "/admin/faults", "").statusCode()).isEqualTo(200);
        assertThat(send("POST", "/v1/chat/completions", "{\"model\":\"extractive\"," + MESSAGES + "}").statusCode())
                .as("cleared by a POST").isEqualTo(200);
    }

    /**
     * Two worker threads, two clients that send headers and one byte of a 100-byte body, then nothing: before, both
     * threads waited on those bodies for ever and every later request went unanswered. The JDK server's request
     * timeout (30 s, set by the server) now closes such connections.
     */
    @Test
    void clientsThatStopMidBodyDoNotKeepTheWorkerThreads() throws Exception {
        try (LocalModelServer two = new LocalModelServer("127.0.0.1", 0, new Faults(), 2)) {
            two.start();
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), two.port());
                sockets.add(socket);
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(two.baseUrl() + "/models"))
                    .timeout(Duration.ofSeconds(90)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
        }
    }
}
