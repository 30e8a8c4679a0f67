package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@code AsyncRetrieve}. */
public class RetrievalMetrics {
    public static final String RETRIEVALS = "retrievals";
    public static final String FAILURES = "retrievalFailures";
    public static final String EMPTY = "retrievalsEmpty";
    public static final String LATENCY = "retrievalLatencyMs";
    public static final String RETRIED = "retrievalsRetried";

    public final Counter retrievals;
    public final Counter failures;
    public final Counter empty;
    public final Counter retried;
    private final Histogram latency;

    public RetrievalMetrics(MetricGroup group) {
        retrievals = group.counter(RETRIEVALS, new ThreadSafeSimpleCounter());
        failures = group.counter(FAILURES, new ThreadSafeSimpleCounter());
        empty = group.counter(EMPTY, new ThreadSafeSimpleCounter());
        retried = group.counter(RETRIED, new ThreadSafeSimpleCounter());
        latency = group.histogram(LATENCY, new DescriptiveStatisticsHistogram(1000));
    }

    public synchronized void latency(long ms) {
        latency.update(ms);
    }
}
