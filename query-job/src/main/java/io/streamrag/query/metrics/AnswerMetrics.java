package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import io.streamrag.common.records.Answer;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

import java.util.EnumMap;
import java.util.Map;

/** Metrics of {@code CountAnswers}: answers by status, question latency and tokens, just before the sink. */
public class AnswerMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    private static final MetricSpecs PER_STATUS = new MetricSpecs();
    /** Per status, in the sub-group {@code status=<STATUS>}. */
    public static final MetricSpec<Counter> ANSWERS = PER_STATUS.counter("answers");
    public static final String STATUS_GROUP = "status";
    public static final MetricSpec<Histogram> LATENCY = SPECS.histogram("questionLatencyMs", 1000);
    public static final MetricSpec<Counter> TOKENS_IN = SPECS.counter("answerTokensIn");
    public static final MetricSpec<Counter> TOKENS_OUT = SPECS.counter("answerTokensOut");

    /** The counters of one status. */
    private static final class PerStatus extends ComponentMetrics {
        PerStatus(MetricGroup g) {
            super(g, PER_STATUS);
        }
    }

    private final Map<Answer.Status, PerStatus> byStatus = new EnumMap<>(Answer.Status.class);

    public AnswerMetrics(MetricGroup group) {
        super(group, SPECS);
        for (Answer.Status s : Answer.Status.values()) {
            byStatus.put(s, new PerStatus(group.addGroup(STATUS_GROUP, s.name())));
        }
    }

    public void count(Answer a) {
        if (a.status != null) {
            byStatus.get(a.status).get(ANSWERS).inc();
        }
        Long total = a.latencyMs.get("total");
        if (total != null) {
            get(LATENCY).update(total);
        }
        if (a.usage != null) {
            get(TOKENS_IN).inc(a.usage.tokensIn);
            get(TOKENS_OUT).inc(a.usage.tokensOut);
        }
    }
}
