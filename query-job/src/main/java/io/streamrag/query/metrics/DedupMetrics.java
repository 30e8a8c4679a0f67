package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code OneAnswerPerQuestion}. */
public class DedupMetrics extends ComponentMetrics {
    public static final String DUPLICATES = "duplicateAnswersDropped";

    public final Counter duplicates = counter(DUPLICATES);

    public DedupMetrics(MetricGroup group) {
        super(group);
    }
}
