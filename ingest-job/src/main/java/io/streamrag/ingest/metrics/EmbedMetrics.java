package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link io.streamrag.ingest.functions.EmbedChunks}. */
public final class EmbedMetrics {
    public static final String CHUNKS_EMBEDDED = "chunksEmbedded";
    public static final String BATCHES = "embedBatches";
    public static final String BATCH_LATENCY_MS = "embedBatchLatencyMs";
    public static final String BATCH_SIZE = "embedBatchSize";
    public static final String FAILURES = "embedFailures";

    public final Counter chunks;
    public final Counter batches;
    public final Histogram latencyMs;
    public final Histogram batchSize;
    public final Counter failures;

    public EmbedMetrics(MetricGroup group) {
        chunks = group.counter(CHUNKS_EMBEDDED);
        batches = group.counter(BATCHES);
        latencyMs = group.histogram(BATCH_LATENCY_MS, new DescriptiveStatisticsHistogram(500));
        batchSize = group.histogram(BATCH_SIZE, new DescriptiveStatisticsHistogram(500));
        failures = group.counter(FAILURES);
    }
}
