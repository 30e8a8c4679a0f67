package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code AsyncRetrieve}. */
public class RetrievalMetrics extends ComponentMetrics {
    public static final String RETRIEVALS = "retrievals";
    public static final String FAILURES = "retrievalFailures";
    public static final String EMPTY = "retrievalsEmpty";
    public static final String LATENCY = "retrievalLatencyMs";
    public static final String RETRIED = "retrievalsRetried";

    public final Counter retrievals = sharedCounter(RETRIEVALS);
    public final Counter failures = sharedCounter(FAILURES);
    public final Counter empty = sharedCounter(EMPTY);
    public final Counter retried = sharedCounter(RETRIED);
    private final Histogram latency = histogram(LATENCY, 1000);

    public RetrievalMetrics(MetricGroup group) {
        super(group);
    }

    public synchronized void latency(long ms) {
        latency.update(ms);
    }
}
