package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code OneAnswerPerQuestion}. */
public class DedupMetrics {
    public static final String DUPLICATES = "duplicateAnswersDropped";

    public final Counter duplicates;

    public DedupMetrics(MetricGroup group) {
        duplicates = group.counter(DUPLICATES);
    }
}
