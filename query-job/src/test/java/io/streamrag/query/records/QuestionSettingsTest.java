package io.streamrag.query.records;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A question's defaults must lie within its own bounds, and the bounds within what a search can return: otherwise every
 * question that keeps a default was FAILED as an invalid question (or every search failed), while the job ran.
 */
class QuestionSettingsTest {

    private static void refused(Configuration conf, String message) {
        assertThatThrownBy(() -> QuestionSettings.from(conf)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theDefaultsPass() {
        QuestionSettings s = QuestionSettings.from(new Configuration());
        assertThat(s.n()).isEqualTo(8);
        assertThat(s.maxK()).isEqualTo(50);
    }

    @Test
    void aDefaultNOrKPastItsMaximumIsRefused() {
        refused(new Configuration().set(QueryOptions.N, 40), "query.n must be between 1 and query.max-n (32), was 40");
        refused(new Configuration().set(QueryOptions.MAX_N, 4), "query.n must be between 1 and query.max-n (4), was 8");
        refused(new Configuration().set(QueryOptions.N, 0), "query.n must be between 1 and query.max-n (32), was 0");
        refused(new Configuration().set(QueryOptions.K, 51), "query.k must be between 1 and query.max-k (50), was 51");
        refused(new Configuration().set(QueryOptions.K, -1), "query.k must be between 1 and query.max-k (50), was -1");
        refused(new Configuration().set(QueryOptions.MAX_N, 0), "query.max-n must be at least 1, was 0");
        QuestionSettings equal = QuestionSettings.from(new Configuration().set(QueryOptions.N, 32).set(QueryOptions.K, 50));
        assertThat(equal.n()).isEqualTo(equal.maxN());
        assertThat(equal.k()).isEqualTo(equal.maxK());
    }

    /** OpenSearch's k-NN query takes k up to 10,000, and a search returns at most index.max_result_window (10,000) hits. */
    @Test
    void maxKIsBoundedByWhatASearchReturns() {
        refused(new Configuration().set(QueryOptions.MAX_K, 10_001), "query.max-k must be between 1 and 10000, was 10001");
        refused(new Configuration().set(QueryOptions.MAX_K, 0), "query.max-k must be between 1 and 10000, was 0");
        assertThat(QuestionSettings.from(new Configuration().set(QueryOptions.MAX_K, 10_000)).maxK()).isEqualTo(10_000);
    }

    @Test
    void theDefaultDeadlineMustBeOneAQuestionMayAskFor() {
        refused(new Configuration().set(QueryOptions.DEADLINE, Duration.ZERO),
                "query.deadline must be between 1 ms and 1 h, was 0 ms");
        refused(new Configuration().set(QueryOptions.DEADLINE, Duration.ofNanos(900_000)),
                "query.deadline must be between 1 ms and 1 h, was 900 µs");
        refused(new Configuration().set(QueryOptions.DEADLINE, Duration.ofMinutes(61)),
                "query.deadline must be between 1 ms and 1 h, was 61 min");
        assertThat(QuestionSettings.from(new Configuration().set(QueryOptions.DEADLINE, Duration.ofHours(1))).deadline())
                .isEqualTo(Duration.ofHours(1));
    }
}
