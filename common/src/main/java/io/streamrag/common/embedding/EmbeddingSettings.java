package io.streamrag.common.embedding;

import io.streamrag.common.config.OptionChecks;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/** The embedding model's options ({@code embedding.*}) as one serialisable value, for operators that build the model in {@code open()}. */
public record EmbeddingSettings(EmbeddingOptions.Provider provider, String baseUrl, String model, String apiKeyEnv,
                                int dimension, int onnxThreads, int onnxIntraOpThreads) implements Serializable {

    /**
     * Read when a job is built (both jobs' settings take it from here), and checked, so a setting the model could not be
     * built with fails the submission, naming its key: before, a remote provider without {@code embedding.base-url} or
     * {@code embedding.model} failed the embedding operators' {@code open()} on every restart, and a malformed URL the
     * quarantine's probe after the first failover.
     */
    public static EmbeddingSettings from(Configuration conf) {
        EmbeddingOptions.Provider provider = conf.get(EmbeddingOptions.PROVIDER);
        if (provider != EmbeddingOptions.Provider.ONNX) {
            OptionChecks.httpUrl(conf, EmbeddingOptions.BASE_URL, "for embedding provider " + provider);
            String model = conf.get(EmbeddingOptions.MODEL);
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("Option '" + EmbeddingOptions.MODEL.key() + "' is required for embedding provider "
                        + provider);
            }
        }
        return new EmbeddingSettings(provider, conf.get(EmbeddingOptions.BASE_URL),
                conf.get(EmbeddingOptions.MODEL), conf.get(EmbeddingOptions.API_KEY_ENV), conf.get(EmbeddingOptions.DIMENSION),
                conf.get(EmbeddingOptions.ONNX_THREADS), conf.get(EmbeddingOptions.ONNX_INTRA_OP_THREADS));
    }
}
