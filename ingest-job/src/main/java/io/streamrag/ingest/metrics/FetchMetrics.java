package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.FetchContent}. */
public final class FetchMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> BYTES_FETCHED = SPECS.counter("bytesFetched");
    public static final MetricSpec<Counter> FETCH_FAILURES = SPECS.counter("fetchFailures");
    /** Fetches the fetch policy refused (also counted in fetchFailures). */
    public static final MetricSpec<Counter> FETCH_REFUSED = SPECS.counter("fetchRefused");

    public FetchMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
