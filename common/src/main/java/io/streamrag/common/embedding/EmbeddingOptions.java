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
                    .withDescription("Vector dimension; must match the model (384 for all-MiniLM-L6-v2, the only one ONNX "
                            + "takes) and an existing chunk index; 1 to 16000 (the most OpenSearch's k-NN lucene engine maps).");

    public static final ConfigOption<Integer> ONNX_THREADS =
            ConfigOptions.key("embedding.onnx.threads")
                    .intType()
                    .defaultValue(0)
                    .withDescription("ONNX: chunks embedded at once per JVM (TaskManager), on one executor shared by every "
                            + "embedding operator there; 0 = one per core. Each call runs on embedding.onnx.intra-op-threads.");

    public static final ConfigOption<Integer> ONNX_INTRA_OP_THREADS =
            ConfigOptions.key("embedding.onnx.intra-op-threads")
                    .intType()
                    .defaultValue(1)
                    .withDescription("ONNX: threads inside one model call (ONNX Runtime intra-op threads); 0 = ONNX Runtime's default "
                            + "(all cores). One thread per call and one call per core beats several threads per call on small models.");

    private EmbeddingOptions() {}
}
