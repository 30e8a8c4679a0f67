package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ExtractContent}. */
public final class ExtractMetrics extends ComponentMetrics {
    public static final String PAGES = "pages";
    public static final String IMAGES = "images";
    public static final String IMAGES_SKIPPED = "imagesSkipped";
    public static final String SCANNED_PAGES = "scannedPages";
    public static final String EXTRACT_FAILURES = "extractFailures";
    public static final String EXTRACT_TIME_MS = "extractTimeMs";
    /** Accumulator of the pages read: unlike the metrics it outlives the job, for a backfill's summary. */
    public static final String PAGES_ACCUMULATOR = "extract.pages";

    public final Counter pages = counter(PAGES);
    public final Counter images = counter(IMAGES);
    public final Counter imagesSkipped = counter(IMAGES_SKIPPED);
    public final Counter scannedPages = counter(SCANNED_PAGES);
    public final Counter failures = counter(EXTRACT_FAILURES);
    public final Histogram extractTimeMs = histogram(EXTRACT_TIME_MS, 500);

    public ExtractMetrics(MetricGroup group) {
        super(group);
    }
}
