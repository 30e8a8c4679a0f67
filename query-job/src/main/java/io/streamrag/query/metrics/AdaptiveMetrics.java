package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code AdaptiveGenerate} besides the per-endpoint generation metrics. */
public class AdaptiveMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> CALLS_SAVED = SPECS.sharedCounter("candidatesSaved");
    public static final MetricSpec<Counter> WAVES = SPECS.sharedCounter("waves");
    public static final MetricSpec<Counter> STOPPED_EARLY = SPECS.sharedCounter("questionsStoppedEarly");

    public AdaptiveMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
