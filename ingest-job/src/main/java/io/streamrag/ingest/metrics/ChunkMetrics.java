package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ChunkDocument}. */
public final class ChunkMetrics {
    public static final String CHUNKS = "chunks";
    public static final String IMAGE_CHUNKS = "imageChunks";

    public final Counter chunks;
    public final Counter imageChunks;

    public ChunkMetrics(MetricGroup group) {
        chunks = group.counter(CHUNKS);
        imageChunks = group.counter(IMAGE_CHUNKS);
    }
}
