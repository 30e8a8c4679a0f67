package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Breaker and bulkhead settings out of range are refused when the job is built, naming the key: resilience4j only
 * saw them in the endpoint's constructor, in the generate operator's open(), at every restart; a queue of
 * -maxConcurrency or less left the endpoint admitting no candidate.
 */
class HealthSettingsTest {

    private static void refused(Configuration conf, String message) {
        assertThatThrownBy(() -> HealthSettings.from(conf)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void theBreakersRangesAreCheckedWithTheirKeys() {
        refused(new Configuration().set(QueryOptions.BREAKER_FAILURE_RATE, 0.0),
                "query.breaker.failure-rate must be in (0, 100], was 0.0");
        refused(new Configuration().set(QueryOptions.BREAKER_FAILURE_RATE, 100.5),
                "query.breaker.failure-rate must be in (0, 100], was 100.5");
        refused(new Configuration().set(QueryOptions.BREAKER_FAILURE_RATE, Double.NaN),
                "query.breaker.failure-rate must be in (0, 100], was NaN");
        refused(new Configuration().set(QueryOptions.BREAKER_WINDOW, 0), "query.breaker.window must be at least 1, was 0");
        refused(new Configuration().set(QueryOptions.BREAKER_MINIMUM_CALLS, 0),
                "query.breaker.minimum-calls must be at least 1, was 0");
        refused(new Configuration().set(QueryOptions.BREAKER_HALF_OPEN_CALLS, -2),
                "query.breaker.half-open-calls must be at least 1, was -2");
        refused(new Configuration().set(QueryOptions.BREAKER_OPEN_DURATION, Duration.ZERO),
                "query.breaker.open-duration must be at least 1 ms, was 0 ms");
    }

    @Test
    void aNegativeQueueIsRefusedAndNoQueueIsAllowed() {
        refused(new Configuration().set(QueryOptions.ENDPOINT_QUEUE_CAPACITY, -1),
                "query.endpoint.queue-capacity must be at least 0, was -1");
        assertThat(HealthSettings.from(new Configuration().set(QueryOptions.ENDPOINT_QUEUE_CAPACITY, 0)).queueCapacity()).isZero();
    }

    /** Whatever passes is what resilience4j takes: the endpoint is built from the extremes of every range. */
    @Test
    void theExtremesThatPassBuildAnEndpoint() {
        HealthSettings s = HealthSettings.from(new Configuration()
                .set(QueryOptions.BREAKER_FAILURE_RATE, 100.0)
                .set(QueryOptions.BREAKER_WINDOW, 1)
                .set(QueryOptions.BREAKER_MINIMUM_CALLS, 1)
                .set(QueryOptions.BREAKER_OPEN_DURATION, Duration.ofMillis(1))
                .set(QueryOptions.BREAKER_HALF_OPEN_CALLS, 1)
                .set(QueryOptions.ENDPOINT_QUEUE_CAPACITY, 0));
        try (EndpointHealth h = new EndpointHealth(EndpointSpec.parse("e=openai,http://127.0.0.1:1/v1,extractive"), s)) {
            assertThat(h.breaker.getCircuitBreakerConfig().getFailureRateThreshold()).isEqualTo(100f);
        }
    }
}
