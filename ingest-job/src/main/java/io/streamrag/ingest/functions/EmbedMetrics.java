package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link EmbedChunks}. */
public final class EmbedMetrics {
    public static final String CHUNKS_EMBEDDED = "chunksEmbedded";
    public static final String BATCHES = "embedBatches";
    public static final String BATCH_LATENCY_MS = "embedBatchLatencyMs";
    public static final String BATCH_SIZE = "embedBatchSize";
    public static final String FAILURES = "embedFailures";

    final Counter chunks;
    final Counter batches;
    final Histogram latencyMs;
    final Histogram batchSize;
    final Counter failures;

    EmbedMetrics(MetricGroup group) {
        chunks = group.counter(CHUNKS_EMBEDDED);
        batches = group.counter(BATCHES);
        latencyMs = group.histogram(BATCH_LATENCY_MS, new DescriptiveStatisticsHistogram(500));
        batchSize = group.histogram(BATCH_SIZE, new DescriptiveStatisticsHistogram(500));
        failures = group.counter(FAILURES);
    }
}
