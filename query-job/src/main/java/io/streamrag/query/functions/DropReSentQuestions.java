package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.AnsweredIds;
import io.streamrag.query.vote.Answers;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.time.Duration;

/**
 * Keyed by question (tenant and questionId, {@link #keySelector()}): of the copies of a question sent within the
 * dedup TTL only the first goes on, a valid one to retrieval, an invalid or expired one ({@link
 * QuestionTask#rejection}) as its FAILED answer to {@link #REJECTED}; the others are dropped (metric
 * {@code reSentQuestionsDropped}) before they cost a retrieval and n model calls. Valid and rejected copies come in
 * one stream, in the order they were sent, so the first copy's is the question's one answer. Before, a re-send was
 * retrieved and generated for and only its results were dropped at the vote, and an invalid re-send's FAILED answer,
 * out at once, could take the place of a valid first copy's still on its way. A rejected task without a questionId has
 * no question to be a copy of: its answer always goes out.
 */
public class DropReSentQuestions extends QuestionGuard<QuestionTask, QuestionTask> {
    private static final long serialVersionUID = 1L;

    /** The FAILED answers of the first copies that were invalid or expired. */
    public static final OutputTag<Answer> REJECTED = new OutputTag<>("rejected-questions") {};

    public DropReSentQuestions(Duration ttl) {
        super(ttl);
    }

    /** Tenant and questionId ({@link QuestionTask#key()}), {@link OneAnswerPerQuestion#NO_ID} when there is no questionId. */
    public static KeySelector<QuestionTask, String> keySelector() {
        return q -> q.questionId == null ? OneAnswerPerQuestion.NO_ID : q.key();
    }

    /** The FAILED answer of a task with a {@link QuestionTask#rejection}. */
    public static Answer answerOf(QuestionTask rejected) {
        return Answers.failed(rejected.questionId, rejected.tenant, rejected.strategy, rejected.rejection, rejected.receivedAtMs);
    }

    @Override
    protected AnsweredIds marks(RuntimeContext context, Duration ttl) {
        return new AnsweredIds(context, "asked", null, ttl);
    }

    @Override
    protected Counter dropped(MetricGroup group) {
        return new ReSentMetrics(group).get(ReSentMetrics.DROPPED);
    }

    @Override
    public void processElement(QuestionTask question, Context ctx, Collector<QuestionTask> out) throws Exception {
        if (!OneAnswerPerQuestion.NO_ID.equals(ctx.getCurrentKey()) && !first()) {
            return;
        }
        if (question.rejection != null) {
            ctx.output(REJECTED, answerOf(question));
        } else {
            out.collect(question);
        }
    }
}
