package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/**
 * Metrics of {@link io.streamrag.ingest.functions.OcrImages}. Images are read on the OCR pool's threads, several at
 * once, so what they count is shared and the histogram is updated under a lock.
 */
public final class OcrMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> IMAGES_READ = SPECS.sharedCounter("ocrImagesRead");
    public static final MetricSpec<Counter> IMAGES_FAILED = SPECS.sharedCounter("ocrImagesFailed");
    /** Counted by the operator's timeout callback, on the task thread. */
    public static final MetricSpec<Counter> DOCUMENTS_TIMED_OUT = SPECS.counter("ocrDocumentsTimedOut");
    public static final MetricSpec<Histogram> OCR_TIME_MS = SPECS.histogram("ocrTimeMs", 500);
    /** Images whose text came from the OCR cache (or a read of the same image under way) instead of tesseract. */
    public static final MetricSpec<Counter> CACHE_HITS = SPECS.sharedCounter("ocrCacheHits");
    /** Images read by tesseract (or the vision model) because no text was cached for them. */
    public static final MetricSpec<Counter> CACHE_MISSES = SPECS.sharedCounter("ocrCacheMisses");

    public OcrMetrics(MetricGroup group) {
        super(group, SPECS);
    }

    /** The OCR pool's threads update the reading-time histogram, which is not thread-safe. */
    public synchronized void ocrTime(long ms) {
        get(OCR_TIME_MS).update(ms);
    }
}
