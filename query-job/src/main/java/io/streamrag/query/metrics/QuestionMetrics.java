package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code ParseQuestion}. */
public class QuestionMetrics {
    public static final String QUESTIONS = "questions";
    public static final String INVALID = "questionsInvalid";
    public static final String EXPIRED = "questionsExpiredOnArrival";

    public final Counter questions;
    public final Counter invalid;
    /** Questions whose deadline had passed before the job read them (e.g. after a long backlog). */
    public final Counter expired;

    public QuestionMetrics(MetricGroup group) {
        questions = group.counter(QUESTIONS);
        invalid = group.counter(INVALID);
        expired = group.counter(EXPIRED);
    }
}
