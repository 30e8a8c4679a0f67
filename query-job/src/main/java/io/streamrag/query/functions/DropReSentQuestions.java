package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.time.Duration;

/**
 * Keyed by question (tenant and questionId, {@link QuestionTask#key()}): of the copies of a question sent within the
 * dedup TTL only the first goes on, the valid ones (first input) to retrieval, the FAILED answers of invalid or expired
 * ones (second input, {@link ParseQuestion#INVALID}) to {@link #INVALID}; the others are dropped (metric
 * {@code reSentQuestionsDropped}) before they cost a retrieval and n model calls. So the first copy's is the
 * question's one answer. Before, a re-send was retrieved and generated for and only its results were dropped at the
 * vote, and an invalid re-send's FAILED answer, out at once, could take the place of the first copy's answer still on
 * its way. An invalid answer without a questionId has no question to be a copy of: it always goes on.
 */
public class DropReSentQuestions extends KeyedCoProcessFunction<String, QuestionTask, Answer, QuestionTask> {
    private static final long serialVersionUID = 1L;

    /** The FAILED answers of the first copies that were invalid or expired. */
    public static final OutputTag<Answer> INVALID = new OutputTag<>("invalid-first-copies") {};

    private final Duration ttl;
    private transient AnsweredIds asked;
    private transient ReSentMetrics metrics;

    public DropReSentQuestions(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext context) {
        asked = new AnsweredIds(getRuntimeContext(), "asked", null, ttl);
        metrics = new ReSentMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement1(QuestionTask question, Context ctx, Collector<QuestionTask> out) throws Exception {
        if (asked.first(metrics.get(ReSentMetrics.DROPPED))) {
            out.collect(question);
        }
    }

    @Override
    public void processElement2(Answer invalid, Context ctx, Collector<QuestionTask> out) throws Exception {
        if (OneAnswerPerQuestion.NO_ID.equals(ctx.getCurrentKey()) || asked.first(metrics.get(ReSentMetrics.DROPPED))) {
            ctx.output(INVALID, invalid);
        }
    }
}
