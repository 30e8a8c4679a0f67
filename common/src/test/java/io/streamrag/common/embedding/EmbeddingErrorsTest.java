package io.streamrag.common.embedding;

import io.streamrag.common.embedding.EmbeddingErrors.Kind;
import io.streamrag.common.embedding.EmbeddingOptions.Provider;

import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.model.embedding.EmbeddingModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What the real langchain4j clients throw, against a local server answering with a given status or not at all, sorted. */
class EmbeddingErrorsTest {

    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** A server that answers every request with {@code status}; counts the requests. */
    private String serve(int status, AtomicInteger requests) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] body = ("{\"error\":{\"message\":\"status " + status + "\"}}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static Throwable call(Provider provider, String baseUrl) {
        EmbeddingModel model = EmbeddingModels.create(new EmbeddingSettings(provider, baseUrl, "m", "NO_SUCH_KEY_VARIABLE", 3, 0, 1), 0);
        Throwable error = catchThrowable(() -> model.embed("text"));
        assertThat(error).isNotNull();
        return error;
    }

    @ParameterizedTest
    @CsvSource({"OPENAI, 500, TRANSIENT", "OPENAI, 503, TRANSIENT", "OPENAI, 429, TRANSIENT", "OPENAI, 408, TRANSIENT",
            "OPENAI, 400, INPUT", "OPENAI, 413, INPUT", "OPENAI, 401, FATAL", "OPENAI, 403, FATAL", "OPENAI, 404, FATAL",
            "OLLAMA, 503, TRANSIENT", "OLLAMA, 429, TRANSIENT", "OLLAMA, 400, INPUT", "OLLAMA, 404, FATAL"})
    void anHttpStatusIsSortedAndNotRetriedInsideLangchain4j(Provider provider, int status, Kind kind) throws IOException {
        AtomicInteger requests = new AtomicInteger();
        String url = serve(status, requests);
        assertThat(EmbeddingErrors.classify(call(provider, provider == Provider.OPENAI ? url + "/v1" : url))).isEqualTo(kind);
        assertThat(requests).hasValue(1); // remoteMaxRetries 0: the caller's backoff is the only retry
    }

    @Test
    void aRefusedConnectionIsTransient() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        for (Provider provider : new Provider[] {Provider.OPENAI, Provider.OLLAMA}) {
            assertThat(EmbeddingErrors.classify(call(provider, "http://127.0.0.1:" + port))).isEqualTo(Kind.TRANSIENT);
        }
    }

    @Test
    void causesAreLookedThrough() {
        assertThat(EmbeddingErrors.classify(new RuntimeException(new UncheckedIOException(new IOException("reset"))))).isEqualTo(Kind.TRANSIENT);
        assertThat(EmbeddingErrors.classify(new RuntimeException("Interrupted during action execution", new InterruptedException())))
                .isEqualTo(Kind.FATAL);
        assertThat(EmbeddingErrors.classify(new IllegalStateException("Model returned 2 vectors for 3 chunks"))).isEqualTo(Kind.INPUT);
    }
}
