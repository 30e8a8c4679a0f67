package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code AsyncRetrieve}. */
public class RetrievalMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> RETRIEVALS = SPECS.sharedCounter("retrievals");
    public static final MetricSpec<Counter> FAILURES = SPECS.sharedCounter("retrievalFailures");
    public static final MetricSpec<Counter> EMPTY = SPECS.sharedCounter("retrievalsEmpty");
    public static final MetricSpec<Histogram> LATENCY = SPECS.histogram("retrievalLatencyMs", 1000);
    public static final MetricSpec<Counter> RETRIED = SPECS.sharedCounter("retrievalsRetried");

    public RetrievalMetrics(MetricGroup group) {
        super(group, SPECS);
    }

    /** Async callbacks on several threads update the latency histogram, which is not thread-safe. */
    public synchronized void latency(long ms) {
        get(LATENCY).update(ms);
    }
}
