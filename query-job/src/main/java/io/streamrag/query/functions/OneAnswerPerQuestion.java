package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;
import io.streamrag.query.metrics.DedupMetrics;
import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * The last guard of "exactly one answer per question": a question (tenant and questionId) answered within the dedup TTL (default 7 days;
 * e.g. a re-sent question, or one that was invalid or had no context, which never reach the vote) is not answered
 * again, across restarts and restores too (keyed state with a TTL, see {@link AnsweredIds}).
 */
public class OneAnswerPerQuestion extends QuestionGuard<Answer, Answer> {
    private static final long serialVersionUID = 1L;

    /** Key of answers without a questionId (unparseable events): they are always passed through. */
    public static final String NO_ID = "";

    public OneAnswerPerQuestion(Duration ttl) {
        super(ttl);
    }

    /** Keys by tenant and questionId ({@link Question#key}), {@link #NO_ID} when the questionId is absent. */
    public static KeySelector<Answer, String> keySelector() {
        return a -> a.questionId == null ? NO_ID : Question.key(a.tenant, a.questionId);
    }

    @Override
    protected AnsweredIds marks(RuntimeContext context, Duration ttl) {
        return new AnsweredIds(context, "answered", "answered-until", ttl);
    }

    @Override
    protected Counter dropped(MetricGroup group) {
        return new DedupMetrics(group).get(DedupMetrics.DUPLICATES);
    }

    @Override
    public void processElement(Answer answer, Context ctx, Collector<Answer> out) throws Exception {
        if (NO_ID.equals(ctx.getCurrentKey()) || first()) {
            out.collect(answer);
        }
    }
}
