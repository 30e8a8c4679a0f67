package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.VersionGate}. */
public final class VersionGateMetrics {
    public static final String PASSED = "documentsPassed";
    public static final String STALE = "documentsStale";
    public static final String INDEX_LOOKUPS = "versionLookups";

    public final Counter passed;
    public final Counter stale;
    public final Counter lookups;

    public VersionGateMetrics(MetricGroup group) {
        passed = group.counter(PASSED);
        stale = group.counter(STALE);
        lookups = group.counter(INDEX_LOOKUPS);
    }
}
