package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.IndexChunks}. */
public final class IndexMetrics extends ComponentMetrics {
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

    public final Counter chunksIndexed = counter(CHUNKS_INDEXED);
    public final Counter bulkRequests = counter(BULK_REQUESTS);
    public final Histogram bulkLatencyMs = histogram(BULK_LATENCY_MS, 500);
    public final Counter bulkItemFailures = counter(BULK_ITEM_FAILURES);
    public final Counter bulkRetries = counter(BULK_RETRIES);
    public final Counter requestRetries = counter(REQUEST_RETRIES);
    public final Histogram deleteLatencyMs = histogram(DELETE_BY_QUERY_LATENCY_MS, 500);
    public final Histogram freshnessLagMs = histogram(FRESHNESS_LAG_MS, 1000);
    public volatile long lastFreshnessLagMs;

    public IndexMetrics(MetricGroup group) {
        super(group);
        gauge(LAST_FRESHNESS_LAG_MS, (Gauge<Long>) () -> lastFreshnessLagMs);
    }
}
