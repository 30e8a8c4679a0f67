package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code DropReSentQuestions}. */
public class ReSentMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    /** Questions dropped before retrieval: their tenant had asked one with that questionId within the dedup TTL. */
    public static final MetricSpec<Counter> DROPPED = SPECS.counter("reSentQuestionsDropped");

    public ReSentMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
