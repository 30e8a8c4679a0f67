package io.streamrag.model;

import io.streamrag.model.testing.LocalModelServerExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaChatRequestParameters;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** OpenAI's {@code n} (several choices in one request) and Ollama's {@code /api/chat}, through real clients. */
class LocalModelServerProtocolsTest {

    private static final String PROMPT = "## Task\nSources:\n"
            + "[1] (manual-42, p. 17) The admin UI listens on port 8443 over HTTPS.\n"
            + "[2] (manual-42, p. 3) Installation requires 4 GB of memory.\n"
            + "Question: Which port does the admin UI use?";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    @BeforeEach
    void reset() {
        SERVER.resetStats();
    }

    private static JsonNode post(String path, ObjectNode body) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(SERVER.rootUrl() + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return MAPPER.readTree(r.body());
    }

    private static ObjectNode completion(long seed, int n) {
        ObjectNode body = MAPPER.createObjectNode().put("model", "extractive").put("temperature", 1.5)
                .put("seed", seed);
        if (n > 0) {
            body.put("n", n);
        }
        body.putArray("messages").addObject().put("role", "user").put("content", PROMPT);
        return body;
    }

    @Test
    void nChoicesInOneRequestAreTheSeparateSamplesAndCountThePromptOnce() throws Exception {
        JsonNode batch = post("/v1/chat/completions", completion(100, 6));
        assertThat(batch.path("choices")).hasSize(6);
        long completionTokens = 0;
        long promptTokens = -1;
        for (int i = 0; i < 6; i++) {
            JsonNode single = post("/v1/chat/completions", completion(100 + i, 0));
            assertThat(single.path("choices")).hasSize(1);
            JsonNode choice = batch.path("choices").get(i);
            assertThat(choice.path("index").asInt()).isEqualTo(i);
            assertThat(choice.path("message").path("content").asText())
                    .isEqualTo(single.path("choices").get(0).path("message").path("content").asText());
            completionTokens += single.path("usage").path("completion_tokens").asLong();
            promptTokens = single.path("usage").path("prompt_tokens").asLong();
        }
        assertThat(batch.path("usage").path("prompt_tokens").asLong()).isEqualTo(promptTokens).isGreaterThan(20);
        assertThat(batch.path("usage").path("completion_tokens").asLong()).isEqualTo(completionTokens);
        assertThat(SERVER.chatRequests()).isEqualTo(7);
    }

    @Test
    void ollamaChatThroughLangchain4jsOllamaClient() {
        OllamaChatModel model = OllamaChatModel.builder()
                .baseUrl(SERVER.rootUrl())
                .modelName("extractive")
                .timeout(Duration.ofSeconds(5))
                .maxRetries(0)
                .build();
        ChatResponse r = model.chat(ChatRequest.builder()
                .messages(UserMessage.from(PROMPT))
                .parameters(OllamaChatRequestParameters.builder().temperature(0.2).seed(7).build())
                .build());
        assertThat(r.aiMessage().text()).contains("Answer: 8443");
        assertThat(r.tokenUsage().inputTokenCount()).isGreaterThan(20);
        assertThat(r.tokenUsage().outputTokenCount()).isGreaterThan(3);
        assertThat(SERVER.count(200)).isEqualTo(1);
    }

    @Test
    void ollamaStreamsJsonLinesThatLangchain4jReassembles() throws Exception {
        OllamaStreamingChatModel model = OllamaStreamingChatModel.builder()
                .baseUrl(SERVER.rootUrl())
                .modelName("extractive")
                .timeout(Duration.ofSeconds(5))
                .build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        AtomicInteger pieces = new AtomicInteger();
        StringBuilder streamed = new StringBuilder();
        model.chat(ChatRequest.builder().messages(UserMessage.from(PROMPT))
                .parameters(OllamaChatRequestParameters.builder().temperature(0.2).seed(7).build()).build(),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) {
                        pieces.incrementAndGet();
                        streamed.append(partial);
                    }

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        done.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        ChatResponse r = done.get(10, TimeUnit.SECONDS);
        assertThat(pieces.get()).isGreaterThan(3);
        assertThat(streamed.toString()).isEqualTo(r.aiMessage().text()).contains("Answer: 8443");
        assertThat(r.tokenUsage().inputTokenCount()).isGreaterThan(20);

        // The raw stream: one JSON object per line, the last one done with the counts.
        HttpResponse<String> raw = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(SERVER.rootUrl() + "/api/chat"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"extractive\",\"messages\":"
                                + "[{\"role\":\"user\",\"content\":" + MAPPER.writeValueAsString(PROMPT) + "}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(raw.headers().firstValue("Content-Type")).contains("application/x-ndjson");
        List<String> lines = raw.body().lines().toList();
        assertThat(lines.size()).isGreaterThan(3);
        for (int i = 0; i < lines.size(); i++) {
            assertThat(MAPPER.readTree(lines.get(i)).path("done").asBoolean()).isEqualTo(i == lines.size() - 1);
        }
        assertThat(MAPPER.readTree(lines.get(lines.size() - 1)).path("eval_count").asInt()).isGreaterThan(3);
    }
}
