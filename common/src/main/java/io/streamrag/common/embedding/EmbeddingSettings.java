package io.streamrag.common.embedding;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.common.opensearch.ChunkIndex;

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
        int dimension = dimension(conf);
        if (provider == EmbeddingOptions.Provider.ONNX) {
            if (dimension != OnnxMiniLm.DIMENSION) {
                throw new IllegalArgumentException(EmbeddingOptions.DIMENSION.key() + " must be " + OnnxMiniLm.DIMENSION
                        + " with embedding provider ONNX (the in-process all-MiniLM-L6-v2 makes vectors of " + OnnxMiniLm.DIMENSION
                        + "), was " + dimension);
            }
        } else {
            OptionChecks.httpUrl(conf, EmbeddingOptions.BASE_URL, "for embedding provider " + provider);
            String model = conf.get(EmbeddingOptions.MODEL);
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("Option '" + EmbeddingOptions.MODEL.key() + "' is required for embedding provider "
                        + provider);
            }
        }
        return new EmbeddingSettings(provider, conf.get(EmbeddingOptions.BASE_URL),
                conf.get(EmbeddingOptions.MODEL), conf.get(EmbeddingOptions.API_KEY_ENV), dimension,
                conf.get(EmbeddingOptions.ONNX_THREADS), conf.get(EmbeddingOptions.ONNX_INTRA_OP_THREADS));
    }

    /**
     * {@code embedding.dimension}, checked against what the chunk index can map: 1 to {@link ChunkIndex#MAX_DIMENSION}
     * (OpenSearch refuses to create the index otherwise, and every write of the ingest job then fails).
     */
    public static int dimension(Configuration conf) {
        return OptionChecks.between(conf, EmbeddingOptions.DIMENSION, 1, ChunkIndex.MAX_DIMENSION);
    }
}
