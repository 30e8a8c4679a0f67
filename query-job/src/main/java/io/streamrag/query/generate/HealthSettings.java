package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/** The breaker and bulkhead settings every endpoint shares ({@code query.breaker.*}, {@code query.endpoint.*}). */
public record HealthSettings(int queueCapacity, double failureRate, int window, int minimumCalls, Duration openFor,
                             int halfOpenCalls) implements Serializable {

    public static HealthSettings from(Configuration conf) {
        return new HealthSettings(conf.get(QueryOptions.ENDPOINT_QUEUE_CAPACITY), conf.get(QueryOptions.BREAKER_FAILURE_RATE),
                conf.get(QueryOptions.BREAKER_WINDOW), conf.get(QueryOptions.BREAKER_MINIMUM_CALLS),
                conf.get(QueryOptions.BREAKER_OPEN_DURATION), conf.get(QueryOptions.BREAKER_HALF_OPEN_CALLS));
    }
}
