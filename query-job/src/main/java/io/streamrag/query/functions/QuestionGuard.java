package io.streamrag.query.functions;

import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * A guard of "one answer per question", keyed by question (tenant and questionId): a mark per question kept for the
 * dedup TTL ({@link AnsweredIds}, across restores) and a count of what it drops. {@link DropReSentQuestions} guards
 * the questions, {@link OneAnswerPerQuestion} the answers.
 */
public abstract class QuestionGuard<I, O> extends KeyedProcessFunction<String, I, O> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient AnsweredIds marks;
    private transient Counter dropped;

    protected QuestionGuard(Duration ttl) {
        this.ttl = ttl;
    }

    /** The marks, under this guard's state names. */
    protected abstract AnsweredIds marks(RuntimeContext context, Duration ttl);

    /** The counter of what this guard drops, registered in the operator's metrics. */
    protected abstract Counter dropped(MetricGroup group);

    @Override
    public void open(OpenContext context) {
        marks = marks(getRuntimeContext(), ttl);
        dropped = dropped(getRuntimeContext().getMetricGroup());
    }

    /** True for the current question's first record within the TTL, which marks it; false after, counted as dropped. */
    protected final boolean first() throws Exception {
        return marks.first(dropped);
    }

    /** Only timers of earlier releases (at their marks' expiry) fire here now: their marks are dropped. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<O> out) throws Exception {
        marks.expireLegacy(timestamp);
    }
}
