package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.EmbedChunks}. */
public final class EmbedMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> CHUNKS_EMBEDDED = SPECS.counter("chunksEmbedded");
    public static final MetricSpec<Counter> BATCHES = SPECS.counter("embedBatches");
    public static final MetricSpec<Histogram> BATCH_LATENCY_MS = SPECS.histogram("embedBatchLatencyMs", 500);
    public static final MetricSpec<Histogram> BATCH_SIZE = SPECS.histogram("embedBatchSize", 500);
    public static final MetricSpec<Counter> FAILURES = SPECS.counter("embedFailures");
    /** Retries of embedding calls a remote provider failed transiently (unreachable, timeout, 429, 5xx), within ingest.index.retry-budget. */
    public static final MetricSpec<Counter> RETRIES = SPECS.counter("embedRetries");

    public EmbedMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
