package io.streamrag.ingest.health;

import io.streamrag.common.config.OptionChecks;
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

    /** The least {@code ingest.quarantine.probe-timeout} of a probe that is on: one request's round trip, with room. */
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

    /**
     * Read when the job is built; with the probe on, its timeout is checked: at least {@link #MIN_TIMEOUT} (it may exceed
     * the interval: probes are scheduled with a fixed delay after the last one ends, so they never overlap). Before, 0 failed the probe's HTTP client (a 0 connect timeout) in the quarantine's {@code open()},
     * and only at a restore, when the probe starts: every restore after the first failure failed again.
     */
    public static ProbeSettings from(Configuration conf) {
        Duration interval = conf.get(IngestOptions.QUARANTINE_PROBE_INTERVAL);
        Duration timeout = conf.get(IngestOptions.QUARANTINE_PROBE_TIMEOUT);
        if (!interval.isZero() && !interval.isNegative()) { // on (see open())
            timeout = OptionChecks.atLeast(conf, IngestOptions.QUARANTINE_PROBE_TIMEOUT, MIN_TIMEOUT);
        }
        return new ProbeSettings(OpenSearchConnection.from(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                EmbeddingSettings.from(conf), interval, timeout);
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
