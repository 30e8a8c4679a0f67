package io.streamrag.common.embedding;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/** The embedding model's options ({@code embedding.*}) as one serialisable value, for operators that build the model in {@code open()}. */
public record EmbeddingSettings(EmbeddingOptions.Provider provider, String baseUrl, String model, String apiKeyEnv,
                                int dimension, int onnxThreads, int onnxIntraOpThreads) implements Serializable {

    public static EmbeddingSettings from(Configuration conf) {
        return new EmbeddingSettings(conf.get(EmbeddingOptions.PROVIDER), conf.get(EmbeddingOptions.BASE_URL),
                conf.get(EmbeddingOptions.MODEL), conf.get(EmbeddingOptions.API_KEY_ENV), conf.get(EmbeddingOptions.DIMENSION),
                conf.get(EmbeddingOptions.ONNX_THREADS), conf.get(EmbeddingOptions.ONNX_INTRA_OP_THREADS));
    }
}
