package io.streamrag.query.functions;

import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.AnsweredIds;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Keyed by {@link QuestionTask#key()}: a question whose tenant already asked one with its questionId within the dedup
 * TTL is dropped before it costs a retrieval and n model calls. Its first copy is, or will be, the question's one
 * answer ({@link OneAnswerPerQuestion} would drop the re-send's anyway); before, a re-send while the first copy was in
 * flight was retrieved and generated for, and only its results were dropped, at the vote.
 */
public class DropReSentQuestions extends KeyedProcessFunction<String, QuestionTask, QuestionTask> {
    private static final long serialVersionUID = 1L;

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
    public void processElement(QuestionTask question, Context ctx, Collector<QuestionTask> out) throws Exception {
        if (asked.contains()) {
            metrics.get(ReSentMetrics.DROPPED).inc();
            return;
        }
        asked.add(); // the TTL counts from the first copy (a re-send does not write, so it does not extend it)
        out.collect(question);
    }
}
