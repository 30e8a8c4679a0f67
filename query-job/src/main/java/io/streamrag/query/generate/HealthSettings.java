package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/** The breaker and bulkhead settings every endpoint shares ({@code query.breaker.*}, {@code query.endpoint.*}). */
public class HealthSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public int queueCapacity = 16;
    public double failureRate = 50;
    public int window = 50;
    public int minimumCalls = 20;
    public long openForMs = 5_000;
    public int halfOpenCalls = 3;

    public HealthSettings() {}

    public static HealthSettings from(Configuration conf) {
        HealthSettings s = new HealthSettings();
        s.queueCapacity = conf.get(QueryOptions.ENDPOINT_QUEUE_CAPACITY);
        s.failureRate = conf.get(QueryOptions.BREAKER_FAILURE_RATE);
        s.window = conf.get(QueryOptions.BREAKER_WINDOW);
        s.minimumCalls = conf.get(QueryOptions.BREAKER_MINIMUM_CALLS);
        s.openForMs = conf.get(QueryOptions.BREAKER_OPEN_DURATION).toMillis();
        s.halfOpenCalls = conf.get(QueryOptions.BREAKER_HALF_OPEN_CALLS);
        return s;
    }

    @Override
    public String toString() {
        return queueCapacity + "|" + failureRate + "|" + window + "|" + minimumCalls + "|" + openForMs + "|" + halfOpenCalls;
    }
}
