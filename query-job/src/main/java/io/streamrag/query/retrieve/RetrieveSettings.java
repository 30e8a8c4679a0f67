package io.streamrag.query.retrieve;

import io.streamrag.common.config.OptionChecks;
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

    /** The largest {@code query.retrieve.rrf-k}: far above any useful one, and 1 / (rrf-k + rank) stays in an int. */
    static final int MAX_RRF_K = 1_000_000;

    public static RetrieveSettings from(Configuration conf) {
        // Past MAX_HITS OpenSearch refused every search, and a timeout of 0 ms timed every attempt out at once: each
        // question FAILED. A negative rrf-k divided by zero or turned scores negative (a fused score is
        // 1 / (rrf-k + rank), rank from 1).
        int poolSize = OptionChecks.between(conf, QueryOptions.RETRIEVE_POOL_SIZE, 0, HybridRetriever.MAX_HITS); // 0: the question's k
        int rrfK = OptionChecks.between(conf, QueryOptions.RETRIEVE_RRF_K, 0, MAX_RRF_K);
        Duration attemptTimeout = OptionChecks.atLeast(conf, QueryOptions.RETRIEVE_TIMEOUT, Duration.ofMillis(1));
        // The same backoff as model calls; retries are bounded by the deadline, not by a count.
        return new RetrieveSettings(OpenSearchConnection.from(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                EmbeddingSettings.from(conf), poolSize, rrfK, OptionChecks.atLeast(conf, QueryOptions.RETRIEVE_THREADS, 1),
                attemptTimeout, Backoff.of(conf.get(QueryOptions.RETRY_BACKOFF), conf.get(QueryOptions.RETRY_MAX_BACKOFF)));
    }
}
