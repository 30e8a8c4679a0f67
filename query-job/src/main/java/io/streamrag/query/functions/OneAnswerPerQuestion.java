package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;
import io.streamrag.query.metrics.DedupMetrics;
import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * The last guard of "exactly one answer per question": a question (tenant and questionId) answered within the dedup TTL (default 7 days;
 * e.g. a re-sent question, or one that was invalid or had no context, which never reach the vote) is not answered
 * again, across restarts and restores too (keyed state with a TTL, see {@link AnsweredIds}).
 */
public class OneAnswerPerQuestion extends KeyedProcessFunction<String, Answer, Answer> {
    private static final long serialVersionUID = 1L;

    /** Key of answers without a questionId (unparseable events): they are always passed through. */
    public static final String NO_ID = "";

    private final Duration ttl;
    private transient AnsweredIds answered;
    private transient DedupMetrics metrics;

    public OneAnswerPerQuestion(Duration ttl) {
        this.ttl = ttl;
    }

    /** Keys by tenant and questionId ({@link Question#key}), {@link #NO_ID} when the questionId is absent. */
    public static KeySelector<Answer, String> keySelector() {
        return a -> a.questionId == null ? NO_ID : Question.key(a.tenant, a.questionId);
    }

    @Override
    public void open(OpenContext context) {
        answered = new AnsweredIds(getRuntimeContext(), "answered", "answered-until", ttl);
        metrics = new DedupMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(Answer answer, Context ctx, Collector<Answer> out) throws Exception {
        if (NO_ID.equals(ctx.getCurrentKey()) || answered.first(metrics.get(DedupMetrics.DUPLICATES))) {
            out.collect(answer);
        }
    }

    /** Only timers of earlier releases (at their marks' expiry) fire here now: their marks are dropped. */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Answer> out) throws Exception {
        answered.expireLegacy(timestamp);
    }
}
