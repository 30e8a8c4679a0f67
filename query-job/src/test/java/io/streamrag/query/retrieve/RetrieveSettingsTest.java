package io.streamrag.query.retrieve;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retrieval settings no search could run with are refused when the job is built, naming the key. */
class RetrieveSettingsTest {

    private static void refused(Configuration conf, String message) {
        assertThatThrownBy(() -> RetrieveSettings.from(conf)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theDefaultsPass() {
        RetrieveSettings s = RetrieveSettings.from(new Configuration());
        assertThat(s.poolSize()).isEqualTo(20);
        assertThat(s.rrfK()).isEqualTo(60);
    }

    /** A timeout of 0 ms timed every attempt out at once: every question FAILED 'retrieval unavailable'. */
    @Test
    void anAttemptTimeoutUnderAMillisecondIsRefused() {
        refused(new Configuration().set(QueryOptions.RETRIEVE_TIMEOUT, Duration.ZERO),
                "query.retrieve.timeout must be at least 1 ms, was 0 ms");
        refused(new Configuration().set(QueryOptions.RETRIEVE_TIMEOUT, Duration.ofNanos(10)),
                "query.retrieve.timeout must be at least 1 ms, was 10 ns");
    }

    /** Past 10,000 hits OpenSearch refuses the search (k-NN's k, index.max_result_window): every attempt failed. */
    @Test
    void thePoolIsBoundedByWhatASearchReturns() {
        refused(new Configuration().set(QueryOptions.RETRIEVE_POOL_SIZE, 10_001),
                "query.retrieve.pool-size must be between 0 and 10000, was 10001");
        refused(new Configuration().set(QueryOptions.RETRIEVE_POOL_SIZE, -1),
                "query.retrieve.pool-size must be between 0 and 10000, was -1");
        assertThat(RetrieveSettings.from(new Configuration().set(QueryOptions.RETRIEVE_POOL_SIZE, 0)).poolSize())
                .as("0: just the question's k, as before").isZero();
        assertThat(RetrieveSettings.from(new Configuration().set(QueryOptions.RETRIEVE_POOL_SIZE, 10_000)).poolSize())
                .isEqualTo(10_000);
    }

    /** A fused score is 1 / (rrf-k + rank), rank from 1: rrf-k -1 divided by zero; 0 is plain reciprocal rank. */
    @Test
    void theFusionConstantMustKeepEveryRankPositive() {
        refused(new Configuration().set(QueryOptions.RETRIEVE_RRF_K, -1),
                "query.retrieve.rrf-k must be between 0 and 1000000, was -1");
        refused(new Configuration().set(QueryOptions.RETRIEVE_RRF_K, Integer.MAX_VALUE),
                "query.retrieve.rrf-k must be between 0 and 1000000, was " + Integer.MAX_VALUE);
        assertThat(RetrieveSettings.from(new Configuration().set(QueryOptions.RETRIEVE_RRF_K, 0)).rrfK()).isZero();
    }

    @Test
    void noSearchThreadsAreRefused() {
        refused(new Configuration().set(QueryOptions.RETRIEVE_THREADS, 0), "query.retrieve.threads must be at least 1, was 0");
    }
}
