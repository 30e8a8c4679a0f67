package io.streamrag.query.records;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;

import java.util.ArrayList;
import java.util.List;

/** Keyed state of one undecided question in the vote. */
public class VoteState {
    public String questionId;
    public String tenant;
    public String strategy;
    public int expected;
    /** The n of the copy the vote keeps to (0 in state from before it was kept: unknown). */
    public int n;
    public long receivedAtMs;
    public long deadlineAtMs;
    public double maxWeight = 1.0;
    public boolean haveRetrieval;
    public List<ChunkRef> retrieved = new ArrayList<>();
    public long retrievalMs;
    public Answer.Plan plan;
    public List<CandidateResult> candidates = new ArrayList<>();
    public boolean finalBudget;
    public int saved;
    public int arrivals;

    public VoteState() {}
}
