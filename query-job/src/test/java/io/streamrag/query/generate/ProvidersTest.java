package io.streamrag.query.generate;

import io.streamrag.common.net.JdkHttpClients;
import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.sun.net.httpserver.HttpServer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ollama and watsonx providers through {@link ChatEndpoint} against the local server's protocols. */
class ProvidersTest {

    private static final String PROMPT = ChatEndpointTest.PROMPT;

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.resetStats();
    }

    private static ChatEndpoint endpoint(String spec) {
        return new ChatEndpoint(EndpointSpec.parse(spec), new RetryPolicy(1, 20, 200), 256, CallListener.NONE);
    }

    @Test
    void ollama() {
        try (ChatEndpoint e = endpoint("o=ollama," + SERVER.rootUrl() + ",extractive,2,1.0,5000")) {
            CallResult r = e.call(PROMPT, 0.7, 3, System.currentTimeMillis() + 30_000);
            assertThat(CompletionParser.answer(r.text())).isEqualTo("8443");
            assertThat(CompletionParser.sources(r.text())).containsExactly(1);
            assertThat(r.tokensIn()).isPositive();
            assertThat(r.tokensOut()).isPositive();
        }
        assertThat(SERVER.count(200)).isEqualTo(1);
    }

    @Test
    void watsonxWithAProjectAndNoKeySendsNoCredentialsAnywhereElse() {
        try (ChatEndpoint e = endpoint("w=watsonx," + SERVER.rootUrl() + "?project_id=p-1,ibm/granite-3-8b-instruct,2,1.0,5000")) {
            CallResult r = e.call(PROMPT, 0.7, 3, System.currentTimeMillis() + 30_000);
            assertThat(CompletionParser.answer(r.text())).isEqualTo("8443");
            assertThat(r.tokensIn()).isPositive();
            assertThat(r.tokensOut()).isPositive();
            assertThat(r.attempts()).isEqualTo(1);
        }
        // One chat request and nothing else (no token service was asked).
        assertThat(SERVER.chatRequests()).isEqualTo(1);
        assertThat(SERVER.count(200)).isEqualTo(1);
    }

    @Test
    void watsonxNeedsAProjectOrSpace() {
        assertThatThrownBy(() -> endpoint("w=watsonx," + SERVER.rootUrl() + ",ibm/granite-3-8b-instruct"))
                .hasMessageContaining("project_id");
        assertThat(WatsonxModels.queryParam(URI.create("https://h/x?space_id=s%201&a=b"), "space_id")).isEqualTo("s 1");
        assertThat(WatsonxModels.queryParam(URI.create("https://h/x"), "project_id")).isNull();
    }

    /**
     * A server that ignores its token limit (a 200 whose body never ends) fails the call once the body passes
     * {@link JdkHttpClients#MAX_RESPONSE_BYTES}, whichever provider's client reads it. Before, the watsonx SDK read it
     * with its own JVM-wide client, without a cap, into the heap.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ollama,{root},extractive", "watsonx,{root}?project_id=p-1,ibm/granite-3-8b-instruct"})
    void aRunawayAnswerIsCutOffWhateverTheProvider(String spec) {
        SERVER.setFaults(Faults.parse("runaway=1.0"));
        try (ChatEndpoint e = endpoint("r=" + spec.replace("{root}", SERVER.rootUrl()) + ",2,1.0,20000")) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 3, System.currentTimeMillis() + 30_000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.timeout).isFalse();
                        assertThat(f).hasStackTraceContaining("larger than");
                    });
        } finally {
            SERVER.setFaults(new Faults());
        }
    }

    /**
     * A server that sends its headers and then stalls: the call ends at the endpoint's timeout as a timeout, whichever
     * provider's client reads it (the watsonx SDK sets each request's timeout on the JDK client the endpoint gives it).
     */
    @ParameterizedTest
    @ValueSource(strings = {"ollama,{root},extractive", "watsonx,{root}?project_id=p-1,ibm/granite-3-8b-instruct"})
    void aStalledAnswerEndsAtTheEndpointTimeoutWhateverTheProvider(String spec) {
        SERVER.setFaults(Faults.parse("stall=1.0,timeoutMs=20000"));
        try (ChatEndpoint e = endpoint("s=" + spec.replace("{root}", SERVER.rootUrl()) + ",2,1.0,1000")) {
            long start = System.currentTimeMillis();
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 3, start + 30_000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.timeout).isTrue());
            assertThat(System.currentTimeMillis() - start).as("two attempts of 1 s, not the 20 s stall").isLessThan(10_000);
        } finally {
            SERVER.setFaults(new Faults());
        }
    }

    /** A wrong path is a final failure: no retry, the server's reason kept. */
    @Test
    void watsonxErrorsAreNotRetriedWhenFinal() {
        try (ChatEndpoint e = endpoint("w=watsonx," + SERVER.rootUrl() + "/nowhere?project_id=p,m,2,1.0,5000")) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 3, System.currentTimeMillis() + 30_000))
                    .isInstanceOfSatisfying(CallFailedException.class,
                            f -> assertThat(f.getMessage()).contains("404").contains("after 1 attempt"));
        }
    }
    /**
     * A watsonx request is bounded by the question's deadline too (min(endpoint timeoutMs, time left)), as the other
     * providers' are. Before, the SDK's own client used the endpoint's timeout alone: a stalled answer held the call
     * 20 s here with 1.5 s left.
     */
    @Test
    void aWatsonxRequestEndsAtTheQuestionsDeadline() {
        SERVER.setFaults(Faults.parse("stall=1.0,timeoutMs=20000"));
        try (ChatEndpoint e = endpoint("wd=watsonx," + SERVER.rootUrl() + "?project_id=p-1,ibm/granite-3-8b-instruct,2,1.0,20000")) {
            long start = System.currentTimeMillis();
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 3, start + 1_500))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> assertThat(f.timeout).isTrue());
            assertThat(System.currentTimeMillis() - start).as("the 1.5 s left, not the endpoint's 20 s").isLessThan(6_000);
        } finally {
            SERVER.setFaults(new Faults());
        }
    }

    /**
     * A watsonx 503 is retried by the endpoint's own policy only (one retry here): the SDK's retries (up to 10, with a
     * backoff that slept in the endpoint's request slot) never start. Before, each of our attempts made 11 requests.
     */
    @Test
    void aWatsonx503IsRetriedByTheEndpointsPolicyOnly() throws Exception {
        HttpServer busy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger requests = new AtomicInteger();
        busy.createContext("/ml/v1/text/chat", ex -> {
            requests.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            byte[] body = "{\"errors\":[{\"code\":\"service_unavailable\",\"message\":\"busy\"}],\"status_code\":503}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.getResponseHeaders().add("Retry-After", "0");
            ex.sendResponseHeaders(503, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        busy.start();
        try (ChatEndpoint e = endpoint("w503=watsonx,http://127.0.0.1:" + busy.getAddress().getPort()
                + "?project_id=p-1,ibm/granite-3-8b-instruct,2,1.0,5000")) {
            assertThatThrownBy(() -> e.call(PROMPT, 0.7, 3, System.currentTimeMillis() + 60_000))
                    .isInstanceOfSatisfying(CallFailedException.class, f -> {
                        assertThat(f.getMessage()).contains("HTTP 503").contains("after 2 attempt");
                        assertThat(f.attempts).isEqualTo(2);
                    });
        } finally {
            busy.stop(0);
        }
        assertThat(requests.get()).as("one attempt and one retry, nothing of the SDK's own").isEqualTo(2);
    }
}
