package io.streamrag.query.records;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.common.records.Question;

import java.util.ArrayList;
import java.util.List;

/**
 * What the vote receives for a question: the retrieval summary (when {@code retrieved != null}) and/or candidates.
 * Both kinds carry the budget and deadline so whichever arrives first can start the vote.
 */
public class VoteInput {
    public String questionId;
    public String tenant;
    public String strategy;
    /** Candidates the vote waits for. */
    public int expected;
    public long receivedAtMs;
    public long deadlineAtMs;
    /** Largest endpoint weight, to bound what outstanding candidates could still add. */
    public double maxWeight = 1.0;

    /** Set on the retrieval record only. */
    public List<ChunkRef> retrieved;
    public long retrievalMs;
    /** Set on the retrieval record only: the budget plan's choice, if any. */
    public Answer.Plan plan;

    public List<CandidateResult> candidates = new ArrayList<>();
    /** Adaptive sampling: the final number of candidates asked for (replaces {@link #expected}). */
    public Integer finalExpected;
    /** Adaptive sampling: calls not made because the vote was settled. */
    public int saved;

    public VoteInput() {}

    /** Tenant and questionId: the vote's key ({@link Question#key}). */
    public String key() {
        return Question.key(tenant, questionId);
    }
}
