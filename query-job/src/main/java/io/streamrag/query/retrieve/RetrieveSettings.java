package io.streamrag.query.retrieve;

import io.streamrag.common.config.ConfigChecks;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.opensearch.OpenSearchConnection;
import io.streamrag.common.retry.Backoff;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/**
 * Where and how {@code AsyncRetrieve} searches: the connection and index, the embedding model, the hybrid search's
 * pool size and RRF k, its threads, one attempt's timeout and the backoff between attempts ({@code query.retrieve.*},
 * {@code query.retry.*}).
 */
public record RetrieveSettings(OpenSearchConnection connection, String alias, EmbeddingSettings embedding, int poolSize,
                               int rrfK, int threads, Duration attemptTimeout, Backoff backoff) implements Serializable {

    public static RetrieveSettings from(Configuration conf) {
        // The same backoff as model calls; retries are bounded by the deadline, not by a count.
        return new RetrieveSettings(OpenSearchConnection.from(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                EmbeddingSettings.from(conf), conf.get(QueryOptions.RETRIEVE_POOL_SIZE), conf.get(QueryOptions.RETRIEVE_RRF_K),
                ConfigChecks.atLeast(conf, QueryOptions.RETRIEVE_THREADS, 1), conf.get(QueryOptions.RETRIEVE_TIMEOUT),
                Backoff.of(conf.get(QueryOptions.RETRY_BACKOFF), conf.get(QueryOptions.RETRY_MAX_BACKOFF)));
    }
}
