package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code ParseQuestion}. */
public class QuestionMetrics {
    public static final String QUESTIONS = "questions";
    public static final String INVALID = "questionsInvalid";

    public final Counter questions;
    public final Counter invalid;

    public QuestionMetrics(MetricGroup group) {
        questions = group.counter(QUESTIONS);
        invalid = group.counter(INVALID);
    }
}
