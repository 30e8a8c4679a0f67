package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ChunkDocument}. */
public final class ChunkMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> CHUNKS = SPECS.counter("chunks");
    public static final MetricSpec<Counter> IMAGE_CHUNKS = SPECS.counter("imageChunks");

    public ChunkMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
