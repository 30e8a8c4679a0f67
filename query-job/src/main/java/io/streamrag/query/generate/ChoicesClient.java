package io.streamrag.query.generate;

import io.streamrag.common.net.JdkHttpClients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpMethod;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A direct OpenAI chat-completions call with {@code n} choices (langchain4j's OpenAI client refuses {@code n > 1}).
 * It goes through the job's {@link RetryAfterHttpClient}, so failures look exactly like the langchain4j path's
 * (HTTP status, Retry-After, timeouts) to the retries in {@link ChatEndpoint}.
 */
class ChoicesClient {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final EndpointSpec spec;
    private final HttpClient http;
    private final String url;
    private final String apiKey;

    /** {@code clients} closes the HTTP client (with the endpoint). */
    ChoicesClient(EndpointSpec spec, Duration timeout, JdkHttpClients clients) {
        this.spec = spec;
        this.http = new RetryAfterHttpClient.Builder(clients).connectTimeout(timeout).readTimeout(timeout).build();
        this.url = spec.baseUrl.replaceAll("/+$", "") + "/chat/completions";
        String key = spec.apiKeyEnv == null ? null : System.getenv(spec.apiKeyEnv);
        this.apiKey = key == null || key.isBlank() ? "none" : key;
    }

    /** The request body: the same fields the langchain4j client sends for one sample, plus {@code n}. */
    static String body(String model, String prompt, double temperature, long seed, int n, int maxTokens) {
        ObjectNode body = MAPPER.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("temperature", temperature).put("seed", (int) seed).put("n", n);
        if (maxTokens > 0) {
            body.put("max_tokens", maxTokens);
        }
        try {
            return MAPPER.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Choices complete(String prompt, double temperature, long seed, int n, int maxTokens, int attempt) {
        HttpRequest request = HttpRequest.builder()
                .method(HttpMethod.POST)
                .url(url)
                .addHeader("Content-Type", "application/json")
                .addHeader("Authorization", "Bearer " + apiKey)
                .body(body(spec.model, prompt, temperature, seed, n, maxTokens))
                .build();
        SuccessfulHttpResponse response = http.execute(request);
        return parse(response.body(), n, attempt);
    }

    /** Choice texts in {@code index} order; fewer than {@code n} choices is a server error (status 502). */
    static Choices parse(String json, int n, int attempt) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String[] texts = new String[n];
        int found = 0;
        for (JsonNode choice : root.path("choices")) {
            int i = choice.path("index").asInt(found);
            if (i >= 0 && i < n && texts[i] == null) {
                texts[i] = choice.path("message").path("content").asText("");
                found++;
            }
        }
        if (found < n) {
            throw new dev.langchain4j.exception.HttpException(502,
                    "expected " + n + " choices, got " + found + ": the endpoint may not support n");
        }
        JsonNode usage = root.path("usage");
        List<String> list = new ArrayList<>(List.of(texts));
        return new Choices(list, usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0),
                attempt);
    }
}
