package io.streamrag.query.vote;

import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.VoteState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the {@link Answer} records: from a finished vote, or for questions that never reach one. */
public final class Answers {

    private Answers() {}

    public static Answer failed(String questionId, String tenant, String strategy, String error, long receivedAtMs) {
        Answer a = answer(questionId, tenant, strategy);
        a.status = Answer.Status.FAILED;
        a.error = error;
        a.latencyMs.put("total", Math.max(0, System.currentTimeMillis() - receivedAtMs));
        return a;
    }

    /**
     * {@code a} as FAILED {@link FailureReason#ANSWER_TOO_LARGE}, when its record ({@code bytes}) would be larger than
     * the answers topic takes: its usage, latency and plan kept, its candidates, votes and chunks left out.
     */
    public static Answer tooLarge(Answer a, int bytes, int limit) {
        Answer f = answer(a.questionId, a.tenant, a.strategy);
        f.status = Answer.Status.FAILED;
        f.error = FailureReason.ANSWER_TOO_LARGE.because(bytes + " bytes as JSON, more than the " + limit + " a record may take");
        f.usage = a.usage;
        f.latencyMs = a.latencyMs;
        f.plan = a.plan;
        return f;
    }

    public static Answer noContext(QuestionTask q, long retrievalMs) {
        Answer a = answer(q.questionId, q.tenant, q.strategy);
        a.plan = q.plan;
        a.status = Answer.Status.NO_CONTEXT;
        a.error = FailureReason.NOTHING_RETRIEVED.with(" " + q.tenant);
        a.latencyMs.put("retrieval", retrievalMs);
        a.latencyMs.put("total", Math.max(0, System.currentTimeMillis() - q.receivedAtMs));
        return a;
    }

    /** The answer of a finished vote over the candidates that arrived. */
    public static Answer fromVote(VoteState st, VoteTally tally, boolean deadlinePassed, long now) {
        Answer a = answer(st.questionId, st.tenant, st.strategy);
        a.plan = st.plan;
        a.retrieved = new ArrayList<>(st.retrieved);
        List<CandidateResult> sorted = new ArrayList<>(st.candidates);
        sorted.sort(Comparator.comparingInt((CandidateResult c) -> c.index).thenComparingInt(c -> c.arrival));
        int succeeded = 0;
        for (CandidateResult c : sorted) {
            Answer.Candidate out = new Answer.Candidate();
            out.endpoint = c.endpoint;
            out.model = c.model;
            out.status = c.status;
            out.answer = c.answer;
            out.latencyMs = c.latencyMs;
            out.tokensIn = c.tokensIn;
            out.tokensOut = c.tokensOut;
            out.attempts = c.attempts;
            out.error = c.error;
            a.candidates.add(out);
            a.usage.tokensIn += c.tokensIn;
            a.usage.tokensOut += c.tokensOut;
            a.usage.hedgedCalls += c.hedges;
            a.usage.cancelledCalls += c.cancelledCalls;
            succeeded += c.ok() ? 1 : 0;
        }
        a.usage.candidatesRequested = Math.max(st.expected, st.candidates.size());
        a.usage.candidatesSucceeded = succeeded;
        a.usage.candidatesSaved = st.saved;
        if (st.haveRetrieval) {
            a.latencyMs.put("retrieval", st.retrievalMs);
        }
        a.latencyMs.put("total", Math.max(0, now - st.receivedAtMs));

        VoteTally.Group leader = tally.leader();
        if (leader == null) {
            a.status = Answer.Status.FAILED;
            a.error = (deadlinePassed ? FailureReason.DEADLINE_WITHOUT_CANDIDATE : FailureReason.NO_CANDIDATE_SUCCEEDED)
                    .with(firstError(sorted));
            return a;
        }
        a.status = Answer.Status.ANSWERED;
        a.answer = leader.display;
        a.agreement = Math.round(leader.weight / tally.totalWeight() * 10_000) / 10_000.0;
        for (VoteTally.Group g : tally.groups()) {
            a.votes.add(new Answer.Vote(g.display, g.count, g.weight));
        }
        a.citations = citations(leader, st.retrieved);
        return a;
    }

    /** An answer to the question, its status and content still to be set. */
    private static Answer answer(String questionId, String tenant, String strategy) {
        Answer a = new Answer();
        a.questionId = questionId;
        a.tenant = tenant;
        a.strategy = strategy;
        return a;
    }

    /** Chunks the winning candidates cited, most cited first, then by retrieval rank. */
    public static List<ChunkRef> citations(VoteTally.Group leader, List<ChunkRef> retrieved) {
        Map<String, ChunkRef> refs = new LinkedHashMap<>();
        Map<String, Integer> counts = new HashMap<>();
        for (CandidateResult c : leader.members) {
            for (ChunkRef r : c.cited) {
                refs.putIfAbsent(r.chunkId, r);
                counts.merge(r.chunkId, 1, Integer::sum);
            }
        }
        Map<String, Integer> rank = new HashMap<>();
        for (int i = 0; i < retrieved.size(); i++) {
            rank.putIfAbsent(retrieved.get(i).chunkId, i);
        }
        List<ChunkRef> out = new ArrayList<>(refs.values());
        out.sort(Comparator.comparingInt((ChunkRef r) -> -counts.get(r.chunkId))
                .thenComparingInt(r -> rank.getOrDefault(r.chunkId, Integer.MAX_VALUE)));
        return out;
    }

    private static String firstError(List<CandidateResult> candidates) {
        for (CandidateResult c : candidates) {
            if (c.error != null) {
                return " (e.g. " + c.endpoint + ": " + c.error + ")";
            }
        }
        return "";
    }
}
