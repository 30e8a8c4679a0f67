package io.streamrag.query.functions;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.query.metrics.VoteMetrics;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;
import io.streamrag.query.records.VoteInput;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The vote operator under Flink's keyed test harness (processing time is controlled by the test). */
class SelfConsistencyVoteTest {

    private static final long TTL = 10_000;
    private static final long DEADLINE = 5_000;

    private static KeyedOneInputStreamOperatorTestHarness<String, VoteInput, Answer> harness() throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, VoteInput, Answer> h =
                ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                        new SelfConsistencyVote(Duration.ofMillis(TTL)), v -> v.questionId, Types.STRING);
        h.setProcessingTime(0);
        return h;
    }

    private static VoteInput header(String q, int n, double maxWeight) {
        VoteInput v = new VoteInput();
        v.questionId = q;
        v.tenant = "acme";
        v.strategy = "RAG";
        v.expected = n;
        v.receivedAtMs = 0;
        v.deadlineAtMs = DEADLINE;
        v.maxWeight = maxWeight;
        return v;
    }

    private static VoteInput retrieval(String q, int n) {
        VoteInput v = header(q, n, 1.0);
        v.retrieved = new ArrayList<>(List.of(
                new ChunkRef("manual-42", 17, "manual-42:3:58", "text", 0.9),
                new ChunkRef("manual-42", 3, "manual-42:3:2", "text", 0.5)));
        v.retrievalMs = 12;
        return v;
    }

    private static VoteInput candidate(String q, int n, int index, Status status, String answer, double weight,
                                       String citedChunk) {
        VoteInput v = header(q, n, weight);
        CandidateResult c = new CandidateResult();
        c.questionId = q;
        c.index = index;
        c.endpoint = "e" + (int) weight;
        c.model = "extractive";
        c.weight = weight;
        c.status = status.name();
        c.answer = answer;
        c.tokensIn = 100;
        c.tokensOut = 10;
        c.latencyMs = 5;
        if (citedChunk != null) {
            c.cited.add(new ChunkRef("manual-42", 17, citedChunk, "text", 0.9));
        }
        if (status != Status.OK) {
            c.error = "boom";
        }
        v.candidates.add(c);
        return v;
    }

    private static VoteInput ok(String q, int n, int index, String answer) {
        return candidate(q, n, index, Status.OK, answer, 1.0, "manual-42:3:58");
    }

    private static List<Answer> answers(KeyedOneInputStreamOperatorTestHarness<String, VoteInput, Answer> h) {
        return h.extractOutputValues();
    }

    @Test
    void theAnswerReportsThePlannedSettingOnlyWhenOneWasPlanned() throws Exception {
        try (var h = harness()) {
            h.processElement(ok("qp", 2, 0, "8443"), 0); // a candidate may arrive before the retrieval record
            VoteInput r = retrieval("qp", 2);
            r.plan = new Answer.Plan();
            r.plan.strategy = "RAG";
            r.plan.k = 2;
            r.plan.n = 2;
            r.plan.budgetTokens = 1000L;
            r.plan.predictedAccuracy = 0.4;
            r.plan.withinBudget = true;
            h.processElement(r, 0);
            h.processElement(ok("qp", 2, 1, "8443"), 0);
            h.processElement(retrieval("qn", 1), 0);
            h.processElement(ok("qn", 1, 0, "8443"), 0);
            Answer planned = answers(h).get(0);
            assertThat(planned.plan.n).isEqualTo(planned.usage.candidatesRequested);
            assertThat(planned.plan.budgetTokens).isEqualTo(1000L);
            assertThat(Json.toString(planned)).contains("\"plan\":{\"strategy\":\"RAG\",\"k\":2,\"n\":2");
            Answer unplanned = answers(h).get(1);
            assertThat(unplanned.plan).isNull();
            assertThat(Json.toString(unplanned)).doesNotContain("\"plan\"");
        }
    }

    @Test
    void majorityWithNormalisationAndFullAnswer() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q1", 4), 0);
            h.processElement(ok("q1", 4, 0, "8,443"), 0);
            h.processElement(ok("q1", 4, 1, "The 8443."), 0);
            h.processElement(candidate("q1", 4, 2, Status.OK, "443", 1.0, "manual-42:3:2"), 0);
            assertThat(answers(h)).isEmpty();
            h.processElement(ok("q1", 4, 3, "8443"), 0);
            Answer a = answers(h).get(0);
            assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
            assertThat(a.answer).isEqualTo("8,443");
            assertThat(a.agreement).isEqualTo(0.75);
            assertThat(a.votes).extracting(v -> v.count).containsExactly(3, 1);
            assertThat(a.citations).extracting(c -> c.chunkId).containsExactly("manual-42:3:58");
            assertThat(a.retrieved).hasSize(2);
            assertThat(a.candidates).hasSize(4);
            assertThat(a.usage.candidatesRequested).isEqualTo(4);
            assertThat(a.usage.candidatesSucceeded).isEqualTo(4);
            assertThat(a.usage.tokensIn).isEqualTo(400);
            assertThat(a.latencyMs).containsEntry("retrieval", 12L);
        }
    }

    @Test
    void decidesEarlyWhenTheLeaderCannotBeOvertaken() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q2", 5), 0);
            h.processElement(ok("q2", 5, 0, "8443"), 0);
            h.processElement(ok("q2", 5, 1, "8443"), 0);
            assertThat(answers(h)).isEmpty();
            h.processElement(ok("q2", 5, 2, "8443"), 0); // 3 vs 0 with 2 outstanding
            assertThat(answers(h)).hasSize(1);
            assertThat(answers(h).get(0).candidates).hasSize(3);
            // Late candidates are dropped and do not create new state or answers.
            h.processElement(ok("q2", 5, 3, "443"), 0);
            h.processElement(ok("q2", 5, 4, "443"), 0);
            assertThat(answers(h)).hasSize(1);
        }
    }

    @Test
    void weightsDecideAgainstTheCount() throws Exception {
        try (var h = harness()) {
            VoteInput r = retrieval("q3", 3);
            r.maxWeight = 3.0; // from the endpoint config: known before any candidate arrives
            h.processElement(r, 0);
            h.processElement(candidate("q3", 3, 0, Status.OK, "443", 1.0, null), 0);
            h.processElement(candidate("q3", 3, 1, Status.OK, "443", 1.0, null), 0);
            h.processElement(candidate("q3", 3, 2, Status.OK, "8443", 3.0, "manual-42:3:58"), 0);
            Answer a = answers(h).get(0);
            assertThat(a.answer).isEqualTo("8443");
            assertThat(a.agreement).isEqualTo(0.6);
        }
    }

    @Test
    void tiesBreakByTheLowerCandidateIndexNotByArrival() throws Exception {
        // Arrival order is timing; the index is the same in every run, so a rerun with the same seeds agrees.
        for (String[] order : new String[][] {{"1", "0"}, {"0", "1"}}) {
            try (var h = harness()) {
                h.processElement(retrieval("q4", 2), 0);
                for (String i : order) {
                    h.processElement(ok("q4", 2, Integer.parseInt(i), i.equals("0") ? "zeta" : "alpha"), 0);
                }
                assertThat(answers(h).get(0).answer).isEqualTo("zeta");
            }
        }
    }

    @Test
    void deadlineAnswersWithPartialCandidates() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q5", 4), 0);
            h.processElement(ok("q5", 4, 0, "8443"), 0);
            h.processElement(candidate("q5", 4, 1, Status.TIMEOUT, null, 1.0, null), 0);
            assertThat(answers(h)).isEmpty();
            h.setProcessingTime(DEADLINE);
            Answer a = answers(h).get(0);
            assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
            assertThat(a.answer).isEqualTo("8443");
            assertThat(a.candidates).extracting(c -> c.status).containsExactly("OK", "TIMEOUT");
        }
    }

    @Test
    void deadlineWithNothingIsFailed() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q6", 3), 0);
            h.setProcessingTime(DEADLINE);
            Answer a = answers(h).get(0);
            assertThat(a.status).isEqualTo(Answer.Status.FAILED);
            assertThat(a.error).contains("deadline");
        }
    }

    @Test
    void allCandidatesFailedIsFailedBeforeTheDeadline() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q7", 2), 0);
            h.processElement(candidate("q7", 2, 0, Status.ERROR, null, 1.0, null), 0);
            h.processElement(candidate("q7", 2, 1, Status.TIMEOUT, null, 1.0, null), 0);
            Answer a = answers(h).get(0);
            assertThat(a.status).isEqualTo(Answer.Status.FAILED);
            assertThat(a.error).contains("no candidate succeeded").contains("boom");
        }
    }

    @Test
    void candidatesBeforeTheRetrievalRecordWait() throws Exception {
        try (var h = harness()) {
            h.processElement(ok("q8", 2, 0, "8443"), 0);
            h.processElement(ok("q8", 2, 1, "8443"), 0);
            assertThat(answers(h)).isEmpty();
            h.processElement(retrieval("q8", 2), 0);
            assertThat(answers(h)).hasSize(1);
            assertThat(answers(h).get(0).retrieved).hasSize(2);
        }
    }

    @Test
    void snapshotAndRestoreMidVote() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processElement(retrieval("q9", 3), 0);
            h.processElement(ok("q9", 3, 0, "8443"), 0);
            snapshot = h.snapshot(1, 0);
        }
        KeyedOneInputStreamOperatorTestHarness<String, VoteInput, Answer> restored =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new org.apache.flink.streaming.api.operators.KeyedProcessOperator<>(new SelfConsistencyVote(Duration.ofMillis(TTL))),
                        v -> v.questionId, Types.STRING);
        try (restored) {
            restored.setProcessingTime(0);
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(ok("q9", 3, 1, "8443"), 0);
            // The restored candidate plus this one settle it (2 vs at most 1 outstanding).
            Answer a = answers(restored).get(0);
            assertThat(a.answer).isEqualTo("8443");
            assertThat(a.candidates).hasSize(2);
            assertThat(a.retrieved).hasSize(2);
            restored.processElement(ok("q9", 3, 2, "443"), 0);
            assertThat(answers(restored)).hasSize(1);
        }
    }

    @Test
    void stateIsClearedAfterTheAnswerAndTheTtl() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q10", 2), 0);
            h.processElement(ok("q10", 2, 0, "8443"), 0);
            assertThat(h.numKeyedStateEntries()).isEqualTo(1);
            h.processElement(ok("q10", 2, 1, "8443"), 0);
            assertThat(answers(h)).hasSize(1);
            assertThat(h.numKeyedStateEntries()).isEqualTo(1); // only the decided marker
            h.setProcessingTime(DEADLINE); // the deleted deadline timer must not fire
            assertThat(answers(h)).hasSize(1);
            assertThat(h.numProcessingTimeTimers()).isZero(); // the decided mark expires by state TTL, no timer
            h.processElement(ok("q10", 2, 1, "443"), 0); // late: dropped
            assertThat(answers(h)).hasSize(1);
            h.setStateTtlProcessingTime(TTL + 1);
            h.processElement(retrieval("q10", 1), 0); // after the TTL the id is unknown again
            h.setProcessingTime(2 * DEADLINE);
            assertThat(answers(h).stream().map(a -> a.questionId).collect(Collectors.toList()))
                    .containsExactly("q10", "q10");
        }
    }

    @Test
    void adaptiveBatchFixesTheBudgetAndReportsSavedCalls() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("q11", 16), 0);
            VoteInput batch = ok("q11", 16, 0, "8443");
            batch.candidates.addAll(ok("q11", 16, 1, "8443").candidates);
            batch.candidates.addAll(ok("q11", 16, 2, "8443").candidates);
            batch.finalExpected = 3;
            batch.saved = 13;
            h.processElement(batch, 0);
            Answer a = answers(h).get(0);
            assertThat(a.usage.candidatesRequested).isEqualTo(3);
            assertThat(a.usage.candidatesSaved).isEqualTo(13);
            assertThat(a.agreement).isEqualTo(1.0);
        }
    }

    /**
     * A question re-sent while in flight (an exact copy: same askedAt) reaches the vote as two retrieval records and
     * two sets of candidates with the same indexes, interleaved: one answer with k chunks and n distinct candidates,
     * not 2k chunks and the same seeds counted twice.
     */
    @Test
    void anExactCopyReSentInFlightIsVotedOnceWithItsChunksAndCandidatesOnce() throws Exception {
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new SelfConsistencyVote(Duration.ofMillis(TTL))), (VoteInput v) -> v.key(),
                Types.STRING, metrics.environment().build())) {
            h.open();
            h.setProcessingTime(0);
            h.processElement(retrieval("qd", 4), 0);
            h.processElement(ok("qd", 4, 0, "443"), 0);
            h.processElement(retrieval("qd", 4), 0); // the copy's retrieval
            h.processElement(ok("qd", 4, 0, "443"), 0); // the copy's candidate 0: counted twice, 443 would lead 2-1
            h.processElement(ok("qd", 4, 1, "8443"), 0);
            h.processElement(ok("qd", 4, 1, "8443"), 0);
            h.processElement(ok("qd", 4, 2, "8443"), 0);
            assertThat(answers(h)).as("3 of 4 candidates, 8443 leads 2-1: not settled").isEmpty();
            h.processElement(ok("qd", 4, 3, "8443"), 0);
            assertThat(answers(h)).singleElement().satisfies(a -> {
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.agreement).isEqualTo(0.75);
                assertThat(a.retrieved).hasSize(2);
                assertThat(a.candidates).hasSize(4);
                assertThat(a.usage.tokensIn).isEqualTo(400);
            });
            assertThat(metrics.count(VoteMetrics.DUPLICATE_RETRIEVALS.name())).isEqualTo(1);
            assertThat(metrics.count(VoteMetrics.DUPLICATE_CANDIDATES.name())).isEqualTo(2);
            h.processElement(ok("qd", 4, 2, "443"), 0); // the copy's rest, after the answer: late
            h.processElement(ok("qd", 4, 3, "443"), 0);
            assertThat(answers(h)).hasSize(1);
            assertThat(h.numKeyedStateEntries()).isEqualTo(1); // only the decided marker
            h.setProcessingTime(DEADLINE);
            assertThat(h.numProcessingTimeTimers()).isZero();
            assertThat(answers(h)).hasSize(1);
        }
    }

    /**
     * A re-send that arrived later (another arrival time, perhaps other words and another n) is never pooled with the
     * copy the vote heard from first, whichever of its records comes first; held across a restore.
     */
    @Test
    void aReSendThatArrivedLaterIsNotPooledWithTheFirstCopyAcrossARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.processElement(ok("qr", 2, 0, "8443"), 0); // the first copy's candidate before its retrieval
            VoteInput copyRetrieval = retrieval("qr", 3);
            copyRetrieval.receivedAtMs = 700;
            copyRetrieval.retrieved.add(new ChunkRef("other", 1, "other:1:1", "text", 0.7));
            h.processElement(copyRetrieval, 0);
            snapshot = h.snapshot(1, 0);
        }
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new SelfConsistencyVote(Duration.ofMillis(TTL))), (VoteInput v) -> v.questionId,
                Types.STRING)) {
            h.setProcessingTime(0);
            h.initializeState(snapshot);
            h.open();
            for (int i = 0; i < 3; i++) {
                VoteInput c = ok("qr", 3, i, "443");
                c.receivedAtMs = 700;
                h.processElement(c, 0);
            }
            assertThat(answers(h)).as("still waiting for the first copy's retrieval").isEmpty();
            h.processElement(retrieval("qr", 2), 0);
            h.processElement(ok("qr", 2, 1, "8443"), 0);
            assertThat(answers(h)).singleElement().satisfies(a -> {
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.agreement).isEqualTo(1.0);
                assertThat(a.retrieved).extracting(c -> c.documentId).containsOnly("manual-42").hasSize(2);
                assertThat(a.candidates).hasSize(2);
                assertThat(a.usage.candidatesRequested).isEqualTo(2);
            });
            assertThat(h.numKeyedStateEntries()).isEqualTo(1);
        }
    }
    /** A re-send that kept askedAt (same arrival) but asked for another n: its inputs are the copy's, not the vote's. */
    @Test
    void aReSendWithTheSameArrivalButAnotherNIsNotPooled() throws Exception {
        try (var h = harness()) {
            h.processElement(retrieval("qn", 2), 0);
            h.processElement(ok("qn", 2, 0, "8443"), 0);
            h.processElement(retrieval("qn", 4), 0); // the copy: same arrival (0), n=4
            for (int i = 0; i < 4; i++) {
                h.processElement(ok("qn", 4, i, "443"), 0);
            }
            assertThat(answers(h)).as("still waiting for the first copy's second candidate").isEmpty();
            h.processElement(ok("qn", 2, 1, "8443"), 0);
            assertThat(answers(h)).singleElement().satisfies(a -> {
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.candidates).hasSize(2);
                assertThat(a.usage.candidatesRequested).isEqualTo(2);
                assertThat(a.retrieved).hasSize(2);
            });
        }
    }
}
