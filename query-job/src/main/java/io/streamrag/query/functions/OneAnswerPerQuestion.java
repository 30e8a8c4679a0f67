package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.metrics.DedupMetrics;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The last guard of "exactly one answer per question": a questionId answered within the TTL (e.g. a re-sent
 * question that was invalid or had no context, which never reach the vote) is not answered again.
 */
public class OneAnswerPerQuestion extends KeyedProcessFunction<String, Answer, Answer> {
    private static final long serialVersionUID = 1L;

    /** Key of answers without a questionId (unparseable events): they are always passed through. */
    public static final String NO_ID = "";

    private final long ttlMs;
    private transient ValueState<Long> answeredUntil;
    private transient DedupMetrics metrics;

    public OneAnswerPerQuestion(long ttlMs) {
        this.ttlMs = ttlMs;
    }

    /** Keys by questionId, {@link #NO_ID} when absent. */
    public static KeySelector<Answer, String> keySelector() {
        return a -> a.questionId == null ? NO_ID : a.questionId;
    }

    @Override
    public void open(OpenContext context) {
        answeredUntil = getRuntimeContext().getState(new ValueStateDescriptor<>("answered-until", Long.class));
        metrics = new DedupMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(Answer answer, Context ctx, Collector<Answer> out) throws Exception {
        if (NO_ID.equals(ctx.getCurrentKey())) {
            out.collect(answer);
            return;
        }
        if (answeredUntil.value() != null) {
            metrics.duplicates.inc();
            return;
        }
        out.collect(answer);
        long until = ctx.timerService().currentProcessingTime() + ttlMs;
        answeredUntil.update(until);
        ctx.timerService().registerProcessingTimeTimer(until);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Answer> out) throws Exception {
        Long until = answeredUntil.value();
        if (until != null && timestamp >= until) {
            answeredUntil.clear();
        }
    }
}
