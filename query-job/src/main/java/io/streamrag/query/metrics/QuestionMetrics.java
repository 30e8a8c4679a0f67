package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code ParseQuestion}. */
public class QuestionMetrics extends ComponentMetrics {
    public static final String QUESTIONS = "questions";
    public static final String INVALID = "questionsInvalid";
    public static final String EXPIRED = "questionsExpiredOnArrival";
    public static final String PLANNED = "questionsPlanned";

    public final Counter questions = counter(QUESTIONS);
    public final Counter invalid = counter(INVALID);
    /** Questions whose deadline had passed before the job read them (e.g. after a long backlog). */
    public final Counter expired = counter(EXPIRED);
    /** Questions whose strategy, k and n the budget plan chose. */
    public final Counter planned = counter(PLANNED);

    public QuestionMetrics(MetricGroup group) {
        super(group);
    }
}
