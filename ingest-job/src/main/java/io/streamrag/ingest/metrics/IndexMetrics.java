package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@link io.streamrag.ingest.functions.IndexChunks}. */
public final class IndexMetrics {
    public static final String CHUNKS_INDEXED = "chunksIndexed";
    public static final String BULK_REQUESTS = "bulkRequests";
    public static final String BULK_LATENCY_MS = "bulkLatencyMs";
    public static final String BULK_ITEM_FAILURES = "bulkItemFailures";
    public static final String BULK_RETRIES = "bulkRetries";
    /** Retries of whole requests that failed (OpenSearch unreachable or erroring), within ingest.index.retry-budget. */
    public static final String REQUEST_RETRIES = "requestRetries";
    public static final String DELETE_BY_QUERY_LATENCY_MS = "deleteByQueryLatencyMs";
    public static final String FRESHNESS_LAG_MS = "freshnessLagMs";
    public static final String LAST_FRESHNESS_LAG_MS = "lastFreshnessLagMs";

    public final Counter chunksIndexed;
    public final Counter bulkRequests;
    public final Histogram bulkLatencyMs;
    public final Counter bulkItemFailures;
    public final Counter bulkRetries;
    public final Counter requestRetries;
    public final Histogram deleteLatencyMs;
    public final Histogram freshnessLagMs;
    public volatile long lastFreshnessLagMs;

    public IndexMetrics(MetricGroup group) {
        chunksIndexed = group.counter(CHUNKS_INDEXED);
        bulkRequests = group.counter(BULK_REQUESTS);
        bulkLatencyMs = group.histogram(BULK_LATENCY_MS, new DescriptiveStatisticsHistogram(500));
        bulkItemFailures = group.counter(BULK_ITEM_FAILURES);
        bulkRetries = group.counter(BULK_RETRIES);
        requestRetries = group.counter(REQUEST_RETRIES);
        deleteLatencyMs = group.histogram(DELETE_BY_QUERY_LATENCY_MS, new DescriptiveStatisticsHistogram(500));
        freshnessLagMs = group.histogram(FRESHNESS_LAG_MS, new DescriptiveStatisticsHistogram(1000));
        group.gauge(LAST_FRESHNESS_LAG_MS, (Gauge<Long>) () -> lastFreshnessLagMs);
    }
}
