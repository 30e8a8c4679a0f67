package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.IndexChunks}. */
public final class IndexMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> CHUNKS_INDEXED = SPECS.counter("chunksIndexed");
    public static final MetricSpec<Counter> BULK_REQUESTS = SPECS.counter("bulkRequests");
    public static final MetricSpec<Histogram> BULK_LATENCY_MS = SPECS.histogram("bulkLatencyMs", 500);
    public static final MetricSpec<Counter> BULK_ITEM_FAILURES = SPECS.counter("bulkItemFailures");
    public static final MetricSpec<Counter> BULK_RETRIES = SPECS.counter("bulkRetries");
    /** Retries of whole requests that failed (OpenSearch unreachable or erroring), within ingest.index.retry-budget. */
    public static final MetricSpec<Counter> REQUEST_RETRIES = SPECS.counter("requestRetries");
    public static final MetricSpec<Histogram> DELETE_BY_QUERY_LATENCY_MS = SPECS.histogram("deleteByQueryLatencyMs", 500);
    /** Refreshes asked for once writes paused (ingest.index.refresh-after-write), and those that failed (the index's own schedule then applies). */
    public static final MetricSpec<Counter> REFRESHES = SPECS.counter("refreshes");
    public static final MetricSpec<Counter> REFRESH_FAILURES = SPECS.counter("refreshFailures");
    public static final MetricSpec<Histogram> FRESHNESS_LAG_MS = SPECS.histogram("freshnessLagMs", 1000);
    public static final MetricSpec<Gauge<Long>> LAST_FRESHNESS_LAG_MS = SPECS.gauge("lastFreshnessLagMs");

    public volatile long lastFreshnessLagMs;

    public IndexMetrics(MetricGroup group) {
        super(group, SPECS);
        gauge(LAST_FRESHNESS_LAG_MS, () -> lastFreshnessLagMs);
    }
}
