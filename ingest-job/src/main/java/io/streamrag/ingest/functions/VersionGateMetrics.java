package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link VersionGate}. */
public final class VersionGateMetrics {
    public static final String PASSED = "documentsPassed";
    public static final String STALE = "documentsStale";
    public static final String INDEX_LOOKUPS = "versionLookups";

    final Counter passed;
    final Counter stale;
    final Counter lookups;

    VersionGateMetrics(MetricGroup group) {
        passed = group.counter(PASSED);
        stale = group.counter(STALE);
        lookups = group.counter(INDEX_LOOKUPS);
    }
}
