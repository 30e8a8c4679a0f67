package io.streamrag.query.records;

import java.util.ArrayList;
import java.util.List;

/** Builds {@link VoteInput}s; both kinds carry the question's budget and deadline. */
public final class VoteInputs {

    private VoteInputs() {}

    public static VoteInput header(QuestionTask q, double maxWeight) {
        VoteInput v = new VoteInput();
        v.questionId = q.questionId;
        v.tenant = q.tenant;
        v.strategy = q.strategy;
        v.expected = q.n;
        v.receivedAtMs = q.receivedAtMs;
        v.deadlineAtMs = q.deadlineAtMs();
        v.maxWeight = maxWeight;
        return v;
    }

    public static VoteInput retrieval(Retrieval r, double maxWeight) {
        VoteInput v = header(r.question, maxWeight);
        v.retrieved = new ArrayList<>();
        for (RetrievedChunk c : r.chunks) {
            v.retrieved.add(c.ref());
        }
        v.retrievalMs = r.retrievalMs;
        v.plan = r.question.plan;
        return v;
    }

    public static VoteInput candidates(QuestionTask q, double maxWeight, List<CandidateResult> results) {
        VoteInput v = header(q, maxWeight);
        v.candidates.addAll(results);
        return v;
    }
}
