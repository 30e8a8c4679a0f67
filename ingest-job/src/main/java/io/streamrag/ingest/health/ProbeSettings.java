package io.streamrag.ingest.health;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.opensearch.OpenSearchConnection;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

import java.time.Duration;

/**
 * What the quarantine probes and how often ({@code ingest.quarantine.probe-interval}, {@code probe-timeout}):
 * OpenSearch as the indexer reaches it (the health of the chunk index it writes to), and the embedding endpoint when
 * the provider is remote.
 *
 * @param index the chunk index alias the indexer writes to ({@code opensearch.index})
 * @param interval zero: no probe, every dependency counts as answering
 */
public record ProbeSettings(OpenSearchConnection openSearch, String index, EmbeddingSettings embedding, Duration interval,
                            Duration timeout)
        implements DependencyHealth.Factory {

    public static ProbeSettings from(Configuration conf) {
        return new ProbeSettings(OpenSearchConnection.from(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                EmbeddingSettings.from(conf), conf.get(IngestOptions.QUARANTINE_PROBE_INTERVAL), conf.get(IngestOptions.QUARANTINE_PROBE_TIMEOUT));
    }

    /** The embedding endpoint is a server that can be down (the in-process ONNX model cannot). */
    public boolean remoteEmbedding() {
        return embedding != null && embedding.provider() != Provider.ONNX;
    }

    @Override
    public DependencyHealth open() {
        return interval.isZero() || interval.isNegative() ? DependencyHealth.UP : new DependencyWatch(this);
    }
}
