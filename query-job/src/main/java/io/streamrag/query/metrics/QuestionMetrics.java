package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code ParseQuestion}. */
public class QuestionMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> QUESTIONS = SPECS.counter("questions");
    public static final MetricSpec<Counter> INVALID = SPECS.counter("questionsInvalid");
    /** Questions whose deadline had passed before the job read them (e.g. after a long backlog). */
    public static final MetricSpec<Counter> EXPIRED = SPECS.counter("questionsExpiredOnArrival");
    /** Questions whose strategy, k and n the budget plan chose. */
    public static final MetricSpec<Counter> PLANNED = SPECS.counter("questionsPlanned");

    public QuestionMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
