package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.vote.Answers;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Questions with context go on to generation; no hits become NO_CONTEXT and errors FAILED (side output), no model calls. */
public class RouteRetrieval extends ProcessFunction<Retrieval, Retrieval> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Answer> NO_CONTEXT = new OutputTag<>("no-context") {};

    @Override
    public void processElement(Retrieval r, Context ctx, Collector<Retrieval> out) {
        if (r.error != null) {
            Answer a = Answers.failed(r.question.questionId, r.question.tenant, r.question.strategy, r.error,
                    r.question.receivedAtMs);
            a.latencyMs.put("retrieval", r.retrievalMs);
            a.plan = r.question.plan; // the plan's choice is reported whatever the outcome, as NO_CONTEXT does
            ctx.output(NO_CONTEXT, a);
        } else if (r.chunks.isEmpty()) {
            ctx.output(NO_CONTEXT, Answers.noContext(r.question, r.retrievalMs));
        } else {
            out.collect(r);
        }
    }
}
