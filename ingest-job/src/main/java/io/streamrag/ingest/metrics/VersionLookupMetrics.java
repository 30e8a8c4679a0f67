package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.VersionLookup}. */
public final class VersionLookupMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    /** Documents whose indexed version was asked for. */
    public static final MetricSpec<Counter> LOOKUPS = SPECS.counter("versionLookups");
    /** Requests those lookups took (one per batch). */
    public static final MetricSpec<Counter> REQUESTS = SPECS.counter("versionLookupRequests");

    public VersionLookupMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
