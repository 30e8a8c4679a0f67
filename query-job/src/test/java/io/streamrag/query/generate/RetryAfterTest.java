package io.streamrag.query.generate;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A server's Retry-After on a loopback stub that answers from a script: honoured on a 503 as on a 429 (an overloaded
 * server says how long it needs), and an absurd one ("Infinity") ends the call at once instead of overflowing the
 * deadline check into a sleep of about Long.MAX_VALUE ms.
 */
class RetryAfterTest {

    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Answer: 8443\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

    /** One scripted response: status and Retry-After (null: none); once the script is used up, the answer above. */
    private record Reply(int status, String retryAfter) {}

    private HttpServer server;
    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    /** When each request arrived (ms). */
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            arrivals.add(System.currentTimeMillis());
            ex.getRequestBody().readAllBytes();
            Reply r = script.poll();
            byte[] body = (r == null ? ANSWER : "{\"error\":{\"message\":\"busy\"}}").getBytes(StandardCharsets.UTF_8);
            if (r != null && r.retryAfter() != null) {
                ex.getResponseHeaders().set("Retry-After", r.retryAfter());
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(r == null ? 200 : r.status(), body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** An endpoint of its own (healths are shared JVM-wide by name) whose backoff is far below a second. */
    private ChatEndpoint endpoint(String name) {
        return new ChatEndpoint(EndpointSpec.parse(name + "=openai,http://127.0.0.1:" + server.getAddress().getPort()
                + "/v1,m,2,1.0,5000"), new RetryPolicy(2, 10, 20), 256, CallListener.NONE);
    }

    @Test
    void aRetryAfterOnA503IsHonoured() {
        script.add(new Reply(503, "1"));
        try (ChatEndpoint e = endpoint("retry-after-503")) {
            CallResult r = e.call(ChatEndpointTest.PROMPT, 0.7, 1, System.currentTimeMillis() + 30_000);
            assertThat(r.attempts()).isEqualTo(2);
        }
        assertThat(arrivals).hasSize(2);
        assertThat(arrivals.get(1) - arrivals.get(0)).as("waited the server's 1 s, not the 10-20 ms backoff")
                .isGreaterThanOrEqualTo(1000);
    }

    @Test
    void anAbsurdRetryAfterEndsTheCallAtOnceInsteadOfOverflowingTheDeadline() throws Exception {
        script.add(new Reply(429, "Infinity"));
        try (ChatEndpoint e = endpoint("retry-after-infinity")) {
            long start = System.currentTimeMillis();
            CompletableFuture<CallResult> call = CompletableFuture.supplyAsync(
                    () -> e.call(ChatEndpointTest.PROMPT, 0.7, 1, start + 30_000));
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.attempts).isEqualTo(1);
                        assertThat(f.getMessage()).contains("HTTP 429").contains("no time left to retry");
                    });
            assertThat(System.currentTimeMillis() - start).isLessThan(10_000);
        }
        assertThat(arrivals).hasSize(1);
    }
}
