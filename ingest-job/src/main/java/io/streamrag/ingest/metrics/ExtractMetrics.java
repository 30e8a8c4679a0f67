package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link io.streamrag.ingest.functions.ExtractContent}. */
public final class ExtractMetrics {
    public static final String PAGES = "pages";
    public static final String IMAGES = "images";
    public static final String IMAGES_SKIPPED = "imagesSkipped";
    public static final String SCANNED_PAGES = "scannedPages";
    public static final String EXTRACT_FAILURES = "extractFailures";
    public static final String EXTRACT_TIME_MS = "extractTimeMs";

    public final Counter pages;
    public final Counter images;
    public final Counter imagesSkipped;
    public final Counter scannedPages;
    public final Counter failures;
    public final Histogram extractTimeMs;

    public ExtractMetrics(MetricGroup group) {
        pages = group.counter(PAGES);
        images = group.counter(IMAGES);
        imagesSkipped = group.counter(IMAGES_SKIPPED);
        scannedPages = group.counter(SCANNED_PAGES);
        failures = group.counter(EXTRACT_FAILURES);
        extractTimeMs = group.histogram(EXTRACT_TIME_MS, new DescriptiveStatisticsHistogram(500));
    }
}
