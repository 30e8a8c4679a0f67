package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.OcrImages}. */
public final class OcrMetrics extends ComponentMetrics {
    public static final String IMAGES_READ = "ocrImagesRead";
    public static final String IMAGES_FAILED = "ocrImagesFailed";
    public static final String DOCUMENTS_TIMED_OUT = "ocrDocumentsTimedOut";
    public static final String OCR_TIME_MS = "ocrTimeMs";
    /** Images whose text came from the OCR cache (or a read of the same image under way) instead of tesseract. */
    public static final String CACHE_HITS = "ocrCacheHits";
    /** Images read by tesseract (or the vision model) because no text was cached for them. */
    public static final String CACHE_MISSES = "ocrCacheMisses";

    public final Counter read = counter(IMAGES_READ);
    public final Counter failed = counter(IMAGES_FAILED);
    public final Counter timedOut = counter(DOCUMENTS_TIMED_OUT);
    public final Counter cacheHits = counter(CACHE_HITS);
    public final Counter cacheMisses = counter(CACHE_MISSES);
    public final Histogram timeMs = histogram(OCR_TIME_MS, 500);

    public OcrMetrics(MetricGroup group) {
        super(group);
    }
}
