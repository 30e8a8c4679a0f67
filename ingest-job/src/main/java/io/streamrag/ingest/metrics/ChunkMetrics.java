package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ChunkDocument}. */
public final class ChunkMetrics extends ComponentMetrics {
    public static final String CHUNKS = "chunks";
    public static final String IMAGE_CHUNKS = "imageChunks";

    public final Counter chunks = counter(CHUNKS);
    public final Counter imageChunks = counter(IMAGE_CHUNKS);

    public ChunkMetrics(MetricGroup group) {
        super(group);
    }
}
