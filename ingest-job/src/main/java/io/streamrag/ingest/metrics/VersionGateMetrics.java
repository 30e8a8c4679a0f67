package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.VersionGate}. */
public final class VersionGateMetrics extends ComponentMetrics {
    public static final String PASSED = "documentsPassed";
    public static final String STALE = "documentsStale";
    public static final String INDEX_LOOKUPS = "versionLookups";

    public final Counter passed = counter(PASSED);
    public final Counter stale = counter(STALE);
    public final Counter lookups = counter(INDEX_LOOKUPS);

    public VersionGateMetrics(MetricGroup group) {
        super(group);
    }
}
