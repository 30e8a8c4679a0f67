package io.streamrag.common.embedding;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Which embedding model both jobs use; ingest and query must agree or retrieval is meaningless. */
public final class EmbeddingOptions {

    /** Where embeddings come from. */
    public enum Provider {
        /** all-MiniLM-L6-v2 (quantized) in-process through ONNX Runtime; needs no server. */
        ONNX,
        /** Any OpenAI-compatible {@code /v1/embeddings} server. */
        OPENAI,
        /** An Ollama server. */
        OLLAMA
    }

    public static final ConfigOption<Provider> PROVIDER =
            ConfigOptions.key("embedding.provider")
                    .enumType(Provider.class)
                    .defaultValue(Provider.ONNX)
                    .withDescription("Embedding model provider: ONNX (in-process, default), OPENAI or OLLAMA.");

    public static final ConfigOption<String> BASE_URL =
            ConfigOptions.key("embedding.base-url")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Base URL of the remote embedding server (OPENAI or OLLAMA).");

    public static final ConfigOption<String> MODEL =
            ConfigOptions.key("embedding.model")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Model name on the remote embedding server.");

    public static final ConfigOption<String> API_KEY_ENV =
            ConfigOptions.key("embedding.api-key-env")
                    .stringType()
                    .defaultValue("EMBEDDING_API_KEY")
                    .withDescription("Environment variable holding the remote embedding server's API key.");

    public static final ConfigOption<Integer> DIMENSION =
            ConfigOptions.key("embedding.dimension")
                    .intType()
                    .defaultValue(384)
                    .withDescription("Vector dimension; must match the model (384 for all-MiniLM-L6-v2).");

    private EmbeddingOptions() {}
}
