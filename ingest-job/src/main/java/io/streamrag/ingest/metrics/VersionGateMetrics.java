package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.VersionGate}. */
public final class VersionGateMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> PASSED = SPECS.counter("documentsPassed");
    public static final MetricSpec<Counter> STALE = SPECS.counter("documentsStale");

    public VersionGateMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
