package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.metrics.VoteMetrics;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.records.VoteState;
import io.streamrag.query.vote.AnswerKeys;
import io.streamrag.query.vote.AnsweredIds;
import io.streamrag.query.vote.Answers;
import io.streamrag.query.vote.VoteTally;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * Self-consistency vote keyed by question (tenant and questionId): weighted majority over normalised answers, decided as soon as the
 * leader cannot be overtaken, or at the deadline (counted from the question's arrival) with what arrived. Decided ids
 * are remembered for the dedup TTL so late candidates are dropped instead of starting a second answer. A question
 * re-sent while it is in flight reaches the vote twice: the vote keeps to the copy it heard from first (its arrival
 * time), takes one retrieval record and drops candidates whose index it already holds, so the answer has k chunks and n
 * distinct candidates of one copy.
 */
public class SelfConsistencyVote extends KeyedProcessFunction<String, VoteInput, Answer> {
    private static final long serialVersionUID = 1L;

    private final Duration decidedTtl;
    private transient ValueState<VoteState> pending;
    private transient AnsweredIds decided;
    private transient VoteMetrics metrics;
    /** Each held answer normalised once, not at every arrival's tally; outside state, so a restore only refills it. */
    private transient AnswerKeys answerKeys;

    public SelfConsistencyVote(Duration decidedTtl) {
        this.decidedTtl = decidedTtl;
    }

    @Override
    public void open(OpenContext context) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("vote", VoteState.class));
        decided = new AnsweredIds(getRuntimeContext(), "decided", "decided-until", decidedTtl);
        metrics = new VoteMetrics(getRuntimeContext().getMetricGroup());
        answerKeys = new AnswerKeys(AnswerKeys.DEFAULT_MAX_CHARS);
    }

    @Override
    public void processElement(VoteInput in, Context ctx, Collector<Answer> out) throws Exception {
        if (decided.contains()) {
            metrics.get(VoteMetrics.LATE).inc(in.candidates.size()); // already answered: late arrivals change nothing
            return;
        }
        VoteState st = pending.value();
        if (st != null && (st.receivedAtMs != in.receivedAtMs || (st.n != 0 && in.expected != st.n)
                || (in.retrieved != null && st.haveRetrieval))) {
            // A copy of the question re-sent while this one is in flight: its chunks would double the retrieved list,
            // its candidates count the same seeds twice, and a re-send with other words would pool two questions. A
            // copy that arrived at another time is told by it, one that arrived at the same time by its n if it differs
            // (every input of a copy carries its n); an exact copy (same askedAt and n) by its second retrieval record
            // and, below, by candidate indexes already held.
            metrics.get(VoteMetrics.DUPLICATE_RETRIEVALS).inc(in.retrieved != null ? 1 : 0);
            metrics.get(VoteMetrics.DUPLICATE_CANDIDATES).inc(in.candidates.size());
            return;
        }
        if (st == null) {
            st = new VoteState();
            st.questionId = in.questionId;
            st.receivedAtMs = in.receivedAtMs;
            st.deadlineAtMs = in.deadlineAtMs;
            st.expected = in.expected;
            st.n = in.expected;
            ctx.timerService().registerProcessingTimeTimer(st.deadlineAtMs);
        }
        if (in.tenant != null) {
            st.tenant = in.tenant;
        }
        if (in.strategy != null) {
            st.strategy = in.strategy;
        }
        st.maxWeight = Math.max(st.maxWeight, in.maxWeight);
        if (in.retrieved != null) {
            st.haveRetrieval = true;
            st.retrieved.addAll(in.retrieved);
            st.retrievalMs = in.retrievalMs;
            st.plan = in.plan;
        }
        if (in.finalExpected != null) {
            st.expected = in.finalExpected;
            st.finalBudget = true;
            st.saved = in.saved;
        } else if (!st.finalBudget) {
            st.expected = Math.max(st.expected, in.expected);
        }
        for (CandidateResult c : in.candidates) {
            if (holds(st, c.index)) {
                // The same candidate of an exact copy: counted twice, its seed would inflate the agreement.
                metrics.get(VoteMetrics.DUPLICATE_CANDIDATES).inc();
                continue;
            }
            c.arrival = st.arrivals++;
            st.candidates.add(c);
        }
        long now = ctx.timerService().currentProcessingTime();
        if (!tryDecide(st, false, now, ctx, out)) {
            pending.update(st);
        }
    }

    /** Whether the vote already holds candidate {@code index} (a scan: a question has at most query.max-n of them). */
    private static boolean holds(VoteState st, int index) {
        for (CandidateResult held : st.candidates) {
            if (held.index == index) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Answer> out) throws Exception {
        decided.expireLegacy(timestamp);
        VoteState st = pending.value();
        if (st != null && timestamp >= st.deadlineAtMs) {
            tryDecide(st, true, timestamp, ctx, out);
        }
    }

    /** Emits the answer and clears the vote if it is settled (or the deadline passed); returns whether it did. */
    private boolean tryDecide(VoteState st, boolean deadline, long now, Context ctx, Collector<Answer> out)
            throws Exception {
        VoteTally tally = VoteTally.of(st.candidates, answerKeys);
        int outstanding = Math.max(0, st.expected - st.candidates.size());
        boolean settled = outstanding == 0 || tally.settled(outstanding, st.maxWeight);
        // Without the retrieval record we lack the retrieved chunks; wait for it unless the deadline passed.
        if (!deadline && (!settled || !st.haveRetrieval)) {
            return false;
        }
        Answer answer = Answers.fromVote(st, tally, deadline && outstanding > 0, now);
        out.collect(answer);
        metrics.get(VoteMetrics.DECIDED).inc();
        if (deadline && outstanding > 0) {
            metrics.get(VoteMetrics.DEADLINE).inc();
        } else if (outstanding > 0) {
            metrics.get(VoteMetrics.EARLY).inc();
        }
        if (answer.agreement != null) {
            metrics.get(VoteMetrics.AGREEMENT).update(Math.round(answer.agreement * 100));
        }
        ctx.timerService().deleteProcessingTimeTimer(st.deadlineAtMs);
        pending.clear();
        decided.add();
        return true;
    }
}
