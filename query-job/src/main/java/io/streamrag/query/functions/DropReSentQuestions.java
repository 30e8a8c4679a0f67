package io.streamrag.query.functions;

import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.time.Duration;

/**
 * Keyed by {@link QuestionTask#key()}: a question whose tenant already asked one with its questionId within the dedup
 * TTL is dropped before it costs a retrieval and n model calls. Its first copy is, or will be, the question's one
 * answer ({@link OneAnswerPerQuestion} would drop the re-send's anyway); before, a re-send while the first copy was in
 * flight was retrieved and generated for, and only its results were dropped, at the vote.
 */
public class DropReSentQuestions extends FirstWithinTtl<QuestionTask> {
    private static final long serialVersionUID = 1L;

    public DropReSentQuestions(Duration ttl) {
        super(ttl);
    }

    @Override
    protected AnsweredIds marks(RuntimeContext context, Duration ttl) {
        return new AnsweredIds(context, "asked", null, ttl);
    }

    @Override
    protected Counter dropped(MetricGroup group) {
        return new ReSentMetrics(group).get(ReSentMetrics.DROPPED);
    }
}
