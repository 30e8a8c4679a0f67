package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.EmbedChunks}. */
public final class EmbedMetrics extends ComponentMetrics {
    public static final String CHUNKS_EMBEDDED = "chunksEmbedded";
    public static final String BATCHES = "embedBatches";
    public static final String BATCH_LATENCY_MS = "embedBatchLatencyMs";
    public static final String BATCH_SIZE = "embedBatchSize";
    public static final String FAILURES = "embedFailures";

    public final Counter chunks = counter(CHUNKS_EMBEDDED);
    public final Counter batches = counter(BATCHES);
    public final Histogram latencyMs = histogram(BATCH_LATENCY_MS, 500);
    public final Histogram batchSize = histogram(BATCH_SIZE, 500);
    public final Counter failures = counter(FAILURES);

    public EmbedMetrics(MetricGroup group) {
        super(group);
    }
}
