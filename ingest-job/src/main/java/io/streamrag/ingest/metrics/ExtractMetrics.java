package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ExtractContent}. */
public final class ExtractMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> PAGES = SPECS.counter("pages");
    public static final MetricSpec<Counter> IMAGES = SPECS.counter("images");
    public static final MetricSpec<Counter> IMAGES_SKIPPED = SPECS.counter("imagesSkipped");
    public static final MetricSpec<Counter> SCANNED_PAGES = SPECS.counter("scannedPages");
    public static final MetricSpec<Counter> EXTRACT_FAILURES = SPECS.counter("extractFailures");
    public static final MetricSpec<Histogram> EXTRACT_TIME_MS = SPECS.histogram("extractTimeMs", 500);
    /** Accumulator of the pages read: unlike the metrics it outlives the job, for a backfill's summary. */
    public static final String PAGES_ACCUMULATOR = "extract.pages";

    public ExtractMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
