package io.streamrag.query.generate;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/** The breaker and bulkhead settings every endpoint shares ({@code query.breaker.*}, {@code query.endpoint.*}). */
public record HealthSettings(int queueCapacity, double failureRate, int window, int minimumCalls, Duration openFor,
                             int halfOpenCalls) implements Serializable {

    /**
     * Checked here, when the job is built: resilience4j only sees them in each endpoint's constructor, in the generate
     * operator's open() on the TaskManager, where a bad value failed the job at every restart; and a negative queue
     * cut an endpoint's admission below its request slots (at -maxConcurrency, to no candidate: every question timed out).
     */
    public static HealthSettings from(Configuration conf) {
        double failureRate = conf.get(QueryOptions.BREAKER_FAILURE_RATE);
        if (!(failureRate > 0 && failureRate <= 100)) {
            throw new IllegalArgumentException(QueryOptions.BREAKER_FAILURE_RATE.key() + " must be in (0, 100], was " + failureRate);
        }
        return new HealthSettings(OptionChecks.atLeast(conf, QueryOptions.ENDPOINT_QUEUE_CAPACITY, 0), failureRate,
                OptionChecks.atLeast(conf, QueryOptions.BREAKER_WINDOW, 1),
                OptionChecks.atLeast(conf, QueryOptions.BREAKER_MINIMUM_CALLS, 1),
                OptionChecks.atLeast(conf, QueryOptions.BREAKER_OPEN_DURATION, Duration.ofMillis(1)),
                OptionChecks.atLeast(conf, QueryOptions.BREAKER_HALF_OPEN_CALLS, 1));
    }
}
