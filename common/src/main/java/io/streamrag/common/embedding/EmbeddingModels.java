package io.streamrag.common.embedding;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.ollama.OllamaEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;

import org.apache.flink.configuration.Configuration;

import java.time.Duration;

/**
 * Builds the configured langchain4j {@link EmbeddingModel}; call it in {@code open()}, never per record, and
 * {@link #release} it in {@code close()}.
 */
public final class EmbeddingModels {

    private EmbeddingModels() {}

    public static EmbeddingModel create(Configuration conf) {
        return create(EmbeddingSettings.from(conf));
    }

    public static EmbeddingModel create(EmbeddingSettings s) {
        switch (s.provider()) {
            case ONNX:
                return OnnxMiniLm.shared(s.onnxThreads(), s.onnxIntraOpThreads());
            case OPENAI:
                return OpenAiEmbeddingModel.builder()
                        .baseUrl(require(s, EmbeddingOptions.BASE_URL.key(), s.baseUrl()))
                        .modelName(require(s, EmbeddingOptions.MODEL.key(), s.model()))
                        .apiKey(orDefault(System.getenv(s.apiKeyEnv()), "none"))
                        .dimensions(s.dimension())
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(2)
                        .build();
            case OLLAMA:
                return OllamaEmbeddingModel.builder()
                        .baseUrl(require(s, EmbeddingOptions.BASE_URL.key(), s.baseUrl()))
                        .modelName(require(s, EmbeddingOptions.MODEL.key(), s.model()))
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(2)
                        .build();
            default:
                throw new IllegalArgumentException("Unknown embedding provider " + s.provider());
        }
    }

    /** Gives back a model {@link #create} made, in {@code close()}: the in-process one holds native memory. Null-safe. */
    public static void release(EmbeddingModel model) {
        if (model instanceof OnnxMiniLm) {
            ((OnnxMiniLm) model).release();
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
