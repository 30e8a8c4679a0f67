package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.records.Answer;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

import java.util.EnumMap;
import java.util.Map;

/** Metrics of {@code CountAnswers}: answers by status, question latency and tokens, just before the sink. */
public class AnswerMetrics extends ComponentMetrics {
    public static final String ANSWERS = "answers";
    public static final String STATUS_GROUP = "status";
    public static final String LATENCY = "questionLatencyMs";
    public static final String TOKENS_IN = "answerTokensIn";
    public static final String TOKENS_OUT = "answerTokensOut";

    private final Map<Answer.Status, Counter> byStatus = new EnumMap<>(Answer.Status.class);
    public final Histogram latency = histogram(LATENCY, 1000);
    public final Counter tokensIn = counter(TOKENS_IN);
    public final Counter tokensOut = counter(TOKENS_OUT);

    public AnswerMetrics(MetricGroup group) {
        super(group);
        for (Answer.Status s : Answer.Status.values()) {
            byStatus.put(s, group.addGroup(STATUS_GROUP, s.name()).counter(ANSWERS));
        }
    }

    public void count(Answer a) {
        if (a.status != null) {
            byStatus.get(a.status).inc();
        }
        Long total = a.latencyMs.get("total");
        if (total != null) {
            latency.update(total);
        }
        if (a.usage != null) {
            tokensIn.inc(a.usage.tokensIn);
            tokensOut.inc(a.usage.tokensOut);
        }
    }
}
