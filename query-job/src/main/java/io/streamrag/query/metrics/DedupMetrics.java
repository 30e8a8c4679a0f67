package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code OneAnswerPerQuestion}. */
public class DedupMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> DUPLICATES = SPECS.counter("duplicateAnswersDropped");

    public DedupMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
