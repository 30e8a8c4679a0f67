package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.OcrImages}. */
public final class OcrMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> IMAGES_READ = SPECS.counter("ocrImagesRead");
    public static final MetricSpec<Counter> IMAGES_FAILED = SPECS.counter("ocrImagesFailed");
    public static final MetricSpec<Counter> DOCUMENTS_TIMED_OUT = SPECS.counter("ocrDocumentsTimedOut");
    public static final MetricSpec<Histogram> OCR_TIME_MS = SPECS.histogram("ocrTimeMs", 500);
    /** Images whose text came from the OCR cache (or a read of the same image under way) instead of tesseract. */
    public static final MetricSpec<Counter> CACHE_HITS = SPECS.counter("ocrCacheHits");
    /** Images read by tesseract (or the vision model) because no text was cached for them. */
    public static final MetricSpec<Counter> CACHE_MISSES = SPECS.counter("ocrCacheMisses");

    public OcrMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
