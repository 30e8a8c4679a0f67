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
 * Keyed by question (tenant and questionId): passes the first record of each key and drops, counting them, those that
 * come after it within the dedup TTL ({@link AnsweredIds}, keyed state kept across restores). The two guards of "one
 * answer per question" are this: {@link DropReSentQuestions} on questions, {@link OneAnswerPerQuestion} on answers.
 */
public abstract class FirstWithinTtl<T> extends KeyedProcessFunction<String, T, T> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient AnsweredIds marks;
    private transient Counter dropped;

    protected FirstWithinTtl(Duration ttl) {
        this.ttl = ttl;
    }

    /** The marks, under this operator's state names. */
    protected abstract AnsweredIds marks(RuntimeContext context, Duration ttl);

    /** The counter of the records dropped, registered in the operator's metrics. */
    protected abstract Counter dropped(MetricGroup group);

    /** Whether records of {@code key} always pass (they have no question to be the first of). */
    protected boolean alwaysPasses(String key) {
        return false;
    }

    @Override
    public void open(OpenContext context) {
        marks = marks(getRuntimeContext(), ttl);
        dropped = dropped(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(T value, Context ctx, Collector<T> out) throws Exception {
        if (alwaysPasses(ctx.getCurrentKey())) {
            out.collect(value);
            return;
        }
        if (marks.contains()) {
            dropped.inc();
            return;
        }
        // The TTL counts from the first record: a dropped one does not write, so it does not extend it.
        marks.add();
        out.collect(value);
    }

    /** Only timers of earlier releases (at their marks' expiry) fire here now: their marks are dropped. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<T> out) throws Exception {
        marks.expireLegacy(timestamp);
    }
}
