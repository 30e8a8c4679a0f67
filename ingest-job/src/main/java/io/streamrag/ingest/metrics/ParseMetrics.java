package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ParseDocumentEvent}. */
public final class ParseMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> DOCUMENTS_IN = SPECS.counter("documentsIn");
    public static final MetricSpec<Counter> DOCUMENTS_INVALID = SPECS.counter("documentsInvalid");

    public ParseMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
