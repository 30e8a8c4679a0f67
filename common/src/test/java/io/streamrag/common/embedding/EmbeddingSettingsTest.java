package io.streamrag.common.embedding;

import io.streamrag.common.embedding.EmbeddingOptions.Provider;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedding options are checked when a job is built ({@link EmbeddingSettings#from}, which both jobs' settings
 * read): a model that could not be built fails the submission, not the embedding operators' open() at every restart.
 */
class EmbeddingSettingsTest {

    private static Configuration conf(String... keyValues) {
        Configuration conf = new Configuration();
        for (int i = 0; i < keyValues.length; i += 2) {
            conf.setString(keyValues[i], keyValues[i + 1]);
        }
        return conf;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "ollama"})
    void aRemoteProviderNeedsItsBaseUrlAndModel(String provider) {
        String name = provider.toUpperCase(java.util.Locale.ROOT);
        assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.provider", provider, "embedding.model", "m")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Option 'embedding.base-url' is required for embedding provider " + name);
        assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.provider", provider, "embedding.base-url", " ",
                "embedding.model", "m")))
                .hasMessage("Option 'embedding.base-url' is required for embedding provider " + name);
        assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.provider", provider,
                "embedding.base-url", "http://127.0.0.1:11434")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Option 'embedding.model' is required for embedding provider " + name);

        EmbeddingSettings ok = EmbeddingSettings.from(conf("embedding.provider", provider,
                "embedding.base-url", "http://127.0.0.1:11434/v1", "embedding.model", "nomic-embed-text"));
        assertThat(ok.provider()).isEqualTo(Provider.valueOf(name));
        assertThat(ok.baseUrl()).isEqualTo("http://127.0.0.1:11434/v1");
        assertThat(ok.model()).isEqualTo("nomic-embed-text");
    }

    /** Before, a malformed URL reached URI.create only in the quarantine's probe, after the first failover. */
    @Test
    void aRemoteProvidersBaseUrlMustBeAnHttpUrl() {
        for (String url : new String[] {"127.0.0.1:11434", "localhost:11434/v1", "ftp://models/v1", "http://", "http://emb host/v1",
                "/v1/embeddings"}) {
            assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.provider", "openai", "embedding.base-url", url,
                    "embedding.model", "m")))
                    .as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Option 'embedding.base-url' must be an http(s) URL")
                    .hasMessageEndingWith("was '" + url + "'");
        }
        assertThat(EmbeddingSettings.from(conf("embedding.provider", "openai", "embedding.base-url", "HTTPS://api.example.com/v1",
                "embedding.model", "m")).baseUrl()).isEqualTo("HTTPS://api.example.com/v1");
    }

    @Test
    void theInProcessModelNeedsNoServer() {
        EmbeddingSettings onnx = EmbeddingSettings.from(new Configuration());
        assertThat(onnx.provider()).isEqualTo(Provider.ONNX);
        assertThat(onnx.dimension()).isEqualTo(384);
        // A URL set for another provider is not used, so not checked.
        assertThat(EmbeddingSettings.from(conf("embedding.base-url", "not a url")).provider()).isEqualTo(Provider.ONNX);
    }

    @Test
    void theOptionsStillComeFromTheConfiguration() {
        Configuration conf = Configuration.fromMap(Map.of("embedding.provider", "ollama", "embedding.base-url", "http://ollama:11434",
                "embedding.model", "m", "embedding.api-key-env", "KEY", "embedding.dimension", "768",
                "embedding.onnx.threads", "3", "embedding.onnx.intra-op-threads", "2"));
        assertThat(EmbeddingSettings.from(conf))
                .isEqualTo(new EmbeddingSettings(Provider.OLLAMA, "http://ollama:11434", "m", "KEY", 768, 3, 2));
    }

    /** Before, ONNX with another dimension created an index no vector of the model fits: every document dead-lettered. */
    @Test
    void theInProcessModelsDimensionIsItsOwn() {
        assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.dimension", "768")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("embedding.dimension must be 384 with embedding provider ONNX (the in-process all-MiniLM-L6-v2 "
                        + "makes vectors of 384), was 768");
        assertThat(EmbeddingSettings.from(conf("embedding.dimension", "384")).dimension()).isEqualTo(384);
    }

    @Test
    void theDimensionIsOneTheIndexCanMap() {
        for (String dimension : new String[] {"0", "-1", "16001"}) {
            assertThatThrownBy(() -> EmbeddingSettings.from(conf("embedding.provider", "openai", "embedding.base-url",
                    "http://127.0.0.1:8000/v1", "embedding.model", "m", "embedding.dimension", dimension)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("embedding.dimension must be between 1 and 16000, was " + dimension);
        }
        assertThat(EmbeddingSettings.from(conf("embedding.provider", "openai", "embedding.base-url", "http://127.0.0.1:8000/v1",
                "embedding.model", "m", "embedding.dimension", "16000")).dimension()).isEqualTo(16000);
    }
}
