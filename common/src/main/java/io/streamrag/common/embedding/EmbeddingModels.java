package io.streamrag.common.embedding;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.ollama.OllamaEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;

import org.apache.flink.configuration.Configuration;

import java.time.Duration;

/** Builds the configured langchain4j {@link EmbeddingModel}; call it in {@code open()}, never per record. */
public final class EmbeddingModels {

    private EmbeddingModels() {}

    public static EmbeddingModel create(Configuration conf) {
        EmbeddingOptions.Provider provider = conf.get(EmbeddingOptions.PROVIDER);
        switch (provider) {
            case ONNX:
                return OnnxMiniLm.shared(conf.get(EmbeddingOptions.ONNX_THREADS), conf.get(EmbeddingOptions.ONNX_INTRA_OP_THREADS));
            case OPENAI:
                return OpenAiEmbeddingModel.builder()
                        .baseUrl(require(conf, EmbeddingOptions.BASE_URL.key(), conf.get(EmbeddingOptions.BASE_URL)))
                        .modelName(require(conf, EmbeddingOptions.MODEL.key(), conf.get(EmbeddingOptions.MODEL)))
                        .apiKey(orDefault(System.getenv(conf.get(EmbeddingOptions.API_KEY_ENV)), "none"))
                        .dimensions(conf.get(EmbeddingOptions.DIMENSION))
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(2)
                        .build();
            case OLLAMA:
                return OllamaEmbeddingModel.builder()
                        .baseUrl(require(conf, EmbeddingOptions.BASE_URL.key(), conf.get(EmbeddingOptions.BASE_URL)))
                        .modelName(require(conf, EmbeddingOptions.MODEL.key(), conf.get(EmbeddingOptions.MODEL)))
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(2)
                        .build();
            default:
                throw new IllegalArgumentException("Unknown embedding provider " + provider);
        }
    }

    private static String require(Configuration conf, String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("Option '" + key + "' is required for embedding provider "
                    + conf.get(EmbeddingOptions.PROVIDER));
        }
        return value;
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
