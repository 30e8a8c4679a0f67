package io.streamrag.common.embedding;

import io.streamrag.common.net.JdkHttpClients;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.ollama.OllamaEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;

import org.apache.flink.configuration.Configuration;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Builds the configured langchain4j {@link EmbeddingModel}; call it in {@code open()}, never per record, and
 * {@link #release} it in {@code close()}.
 */
public final class EmbeddingModels {

    /** Timeout of a remote provider's connection, and again of its whole response, body included (see {@link JdkHttpClients}). */
    public static final Duration REMOTE_TIMEOUT = Duration.ofSeconds(60);

    /** Retries langchain4j makes of a failed remote call unless the caller asks for another number. */
    public static final int REMOTE_MAX_RETRIES = 2;

    /**
     * The HTTP clients of each remote model {@link #create} made, closed by {@link #release}. Weak keys: a model nobody
     * releases (a tool, a test) is forgotten with it, and its clients left to the garbage collector as before.
     */
    private static final Map<EmbeddingModel, JdkHttpClients> REMOTE_CLIENTS = new WeakHashMap<>();

    private EmbeddingModels() {}

    public static EmbeddingModel create(Configuration conf) {
        return create(EmbeddingSettings.from(conf));
    }

    public static EmbeddingModel create(EmbeddingSettings s) {
        return create(s, REMOTE_MAX_RETRIES);
    }

    /**
     * The model, where a remote provider's failed call is retried {@code remoteMaxRetries} times inside langchain4j
     * (errors other than its NonRetriableException ones, without a time bound). 0 leaves retrying to the caller,
     * which then knows how long one call can take: {@link #longestRemoteCall()}.
     */
    public static EmbeddingModel create(EmbeddingSettings s, int remoteMaxRetries) {
        switch (s.provider()) {
            case ONNX:
                return OnnxMiniLm.shared(s.onnxThreads(), s.onnxIntraOpThreads());
            case OPENAI: {
                JdkHttpClients clients = new JdkHttpClients();
                return remote(clients, OpenAiEmbeddingModel.builder()
                        .baseUrl(require(s, EmbeddingOptions.BASE_URL.key(), s.baseUrl()))
                        .modelName(require(s, EmbeddingOptions.MODEL.key(), s.model()))
                        .apiKey(orDefault(System.getenv(s.apiKeyEnv()), "none"))
                        .dimensions(s.dimension())
                        .timeout(REMOTE_TIMEOUT)
                        .maxRetries(remoteMaxRetries)
                        .httpClientBuilder(clients.langchain4j())
                        .build());
            }
            case OLLAMA: {
                JdkHttpClients clients = new JdkHttpClients();
                return remote(clients, OllamaEmbeddingModel.builder()
                        .baseUrl(require(s, EmbeddingOptions.BASE_URL.key(), s.baseUrl()))
                        .modelName(require(s, EmbeddingOptions.MODEL.key(), s.model()))
                        .timeout(REMOTE_TIMEOUT)
                        .maxRetries(remoteMaxRetries)
                        .httpClientBuilder(clients.langchain4j())
                        .build());
            }
            default:
                throw new IllegalArgumentException("Unknown embedding provider " + s.provider());
        }
    }

    /**
     * The longest one remote call with no retries can take: the JDK client's connection and its response each time out
     * after {@link #REMOTE_TIMEOUT} (counted twice to be safe whether or not the response timeout covers connecting).
     */
    public static Duration longestRemoteCall() {
        return REMOTE_TIMEOUT.multipliedBy(2);
    }

    private static EmbeddingModel remote(JdkHttpClients clients, EmbeddingModel model) {
        synchronized (REMOTE_CLIENTS) {
            REMOTE_CLIENTS.put(model, clients);
        }
        return model;
    }

    /**
     * Gives back a model {@link #create} made, in {@code close()}: the in-process one holds native memory, a remote one
     * its HTTP client (Java 17's runs until collected, see {@link JdkHttpClients}). Null-safe.
     */
    public static void release(EmbeddingModel model) {
        if (model instanceof OnnxMiniLm) {
            ((OnnxMiniLm) model).release();
            return;
        }
        JdkHttpClients clients;
        synchronized (REMOTE_CLIENTS) {
            clients = model == null ? null : REMOTE_CLIENTS.remove(model);
        }
        if (clients != null) {
            clients.close();
        }
    }

    private static String require(EmbeddingSettings s, String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("Option '" + key + "' is required for embedding provider " + s.provider());
        }
        return value;
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
