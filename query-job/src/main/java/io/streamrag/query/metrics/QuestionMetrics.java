package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code ParseQuestion}. */
public class QuestionMetrics {
    public static final String QUESTIONS = "questions";
    public static final String INVALID = "questionsInvalid";
    public static final String EXPIRED = "questionsExpiredOnArrival";
    public static final String PLANNED = "questionsPlanned";

    public final Counter questions;
    public final Counter invalid;
    /** Questions whose deadline had passed before the job read them (e.g. after a long backlog). */
    public final Counter expired;
    /** Questions whose strategy, k and n the budget plan chose. */
    public final Counter planned;

    public QuestionMetrics(MetricGroup group) {
        questions = group.counter(QUESTIONS);
        invalid = group.counter(INVALID);
        expired = group.counter(EXPIRED);
        planned = group.counter(PLANNED);
    }
}
