package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.metrics.AnswerMetrics;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/** Counts every answer by status (and latency, tokens) just before the sink. */
public class CountAnswers extends RichMapFunction<Answer, Answer> {
    private static final long serialVersionUID = 1L;

    private transient AnswerMetrics metrics;

    @Override
    public void open(OpenContext context) {
        metrics = new AnswerMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public Answer map(Answer a) {
        metrics.count(a);
        return a;
    }
}
