package io.streamrag.ingest.index;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.opensearch.OpenSearchConnection;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/**
 * Where and how {@code IndexChunks} writes: the connection, the index ({@code opensearch.index}, created with the
 * embedding dimension and {@code ingest.index.shards}/{@code replicas}), bulk sizes and retries ({@code ingest.index.*}).
 * ({@code ingest.index.max-retries} is deprecated and read by nothing: see {@code IngestOptions.INDEX_MAX_RETRIES}.)
 *
 * @param outageBackoff requests that fail as a whole, and bulk items rejected with 429 or 5xx, are retried with it: one
 *                      budget ({@code ingest.index.retry-budget}, {@link Backoff#start()}) per flush, shared by its requests
 * @param refreshAfterWrite pause in writes after which {@code IndexChunks} refreshes the index (zero: never)
 */
public record IndexSettings(OpenSearchConnection connection, String alias, int dimension, int shards, int replicas,
                            int bulkMaxChunks, long bulkMaxBytes, Duration bulkFlushInterval, Backoff outageBackoff,
                            Duration refreshAfterWrite) implements Serializable {

    /**
     * Read when the job is built; the index's dimension, shards and replicas are checked here: OpenSearch refuses to
     * create the index with a bad one, and that happens at the first write, which then fails the job at every restart.
     */
    public static IndexSettings from(Configuration conf) {
        return new IndexSettings(OpenSearchConnection.from(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                EmbeddingSettings.dimension(conf), OptionChecks.atLeast(conf, IngestOptions.INDEX_SHARDS, 1),
                OptionChecks.atLeast(conf, IngestOptions.INDEX_REPLICAS, 0),
                conf.get(IngestOptions.INDEX_BULK_MAX_CHUNKS), conf.get(IngestOptions.INDEX_BULK_MAX_BYTES).getBytes(),
                conf.get(IngestOptions.INDEX_BULK_FLUSH_INTERVAL), IngestOptions.openSearchBackoff(conf),
                conf.get(IngestOptions.INDEX_REFRESH_AFTER_WRITE));
    }
}
