package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link io.streamrag.ingest.functions.OcrImages}. */
public final class OcrMetrics {
    public static final String IMAGES_READ = "ocrImagesRead";
    public static final String IMAGES_FAILED = "ocrImagesFailed";
    public static final String DOCUMENTS_TIMED_OUT = "ocrDocumentsTimedOut";
    public static final String OCR_TIME_MS = "ocrTimeMs";
    /** Images whose text came from the OCR cache (or a read of the same image under way) instead of tesseract. */
    public static final String CACHE_HITS = "ocrCacheHits";
    /** Images read by tesseract (or the vision model) because no text was cached for them. */
    public static final String CACHE_MISSES = "ocrCacheMisses";

    public final Counter read;
    public final Counter failed;
    public final Counter timedOut;
    public final Histogram timeMs;
    public final Counter cacheHits;
    public final Counter cacheMisses;

    public OcrMetrics(MetricGroup group) {
        read = group.counter(IMAGES_READ);
        failed = group.counter(IMAGES_FAILED);
        timedOut = group.counter(DOCUMENTS_TIMED_OUT);
        cacheHits = group.counter(CACHE_HITS);
        cacheMisses = group.counter(CACHE_MISSES);
        timeMs = group.histogram(OCR_TIME_MS, new DescriptiveStatisticsHistogram(500));
    }
}
