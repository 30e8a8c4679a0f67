package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.FetchContent}. */
public final class FetchMetrics extends ComponentMetrics {
    public static final String BYTES_FETCHED = "bytesFetched";
    public static final String FETCH_FAILURES = "fetchFailures";
    /** Fetches the fetch policy refused (also counted in fetchFailures). */
    public static final String FETCH_REFUSED = "fetchRefused";

    public final Counter bytes = counter(BYTES_FETCHED);
    public final Counter failures = counter(FETCH_FAILURES);
    public final Counter refused = counter(FETCH_REFUSED);

    public FetchMetrics(MetricGroup group) {
        super(group);
    }
}
