package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.FetchContent}. */
public final class FetchMetrics {
    public static final String BYTES_FETCHED = "bytesFetched";
    public static final String FETCH_FAILURES = "fetchFailures";
    /** Fetches the fetch policy refused (also counted in fetchFailures). */
    public static final String FETCH_REFUSED = "fetchRefused";

    public final Counter bytes;
    public final Counter failures;
    public final Counter refused;

    public FetchMetrics(MetricGroup group) {
        bytes = group.counter(BYTES_FETCHED);
        failures = group.counter(FETCH_FAILURES);
        refused = group.counter(FETCH_REFUSED);
    }
}
