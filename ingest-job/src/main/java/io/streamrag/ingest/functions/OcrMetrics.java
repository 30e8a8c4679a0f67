package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link OcrImages}. */
public final class OcrMetrics {
    public static final String IMAGES_READ = "ocrImagesRead";
    public static final String IMAGES_FAILED = "ocrImagesFailed";
    public static final String DOCUMENTS_TIMED_OUT = "ocrDocumentsTimedOut";
    public static final String OCR_TIME_MS = "ocrTimeMs";
    /** Images whose text came from the OCR cache (or a read of the same image under way) instead of tesseract. */
    public static final String CACHE_HITS = "ocrCacheHits";
    /** Images read by tesseract (or the vision model) because no text was cached for them. */
    public static final String CACHE_MISSES = "ocrCacheMisses";

    final Counter read;
    final Counter failed;
    final Counter timedOut;
    final Histogram timeMs;
    final Counter cacheHits;
    final Counter cacheMisses;

    OcrMetrics(MetricGroup group) {
        read = group.counter(IMAGES_READ);
        failed = group.counter(IMAGES_FAILED);
        timedOut = group.counter(DOCUMENTS_TIMED_OUT);
        cacheHits = group.counter(CACHE_HITS);
        cacheMisses = group.counter(CACHE_MISSES);
        timeMs = group.histogram(OCR_TIME_MS, new DescriptiveStatisticsHistogram(500));
    }
}
