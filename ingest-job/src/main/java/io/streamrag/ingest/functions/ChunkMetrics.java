package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link ChunkDocument}. */
public final class ChunkMetrics {
    public static final String CHUNKS = "chunks";
    public static final String IMAGE_CHUNKS = "imageChunks";

    final Counter chunks;
    final Counter imageChunks;

    ChunkMetrics(MetricGroup group) {
        chunks = group.counter(CHUNKS);
        imageChunks = group.counter(IMAGE_CHUNKS);
    }
}
