package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Of the copies of a question sent within the dedup TTL only the first goes on, valid (to retrieval) or rejected (as
 * its FAILED answer), in the order sent, per tenant, across a restore; past the TTL, counted from the first copy, it is
 * asked again; no timers, one mark per question.
 */
class DropReSentQuestionsTest {

    private static final Duration TTL = Duration.ofMillis(1_000);

    private static QuestionTask question(String tenant, String id, long receivedAtMs) {
        QuestionTask q = new QuestionTask();
        q.tenant = tenant;
        q.questionId = id;
        q.text = "Which port does the admin UI use?";
        q.n = 3;
        q.receivedAtMs = receivedAtMs;
        return q;
    }

    /** What ParseQuestion makes of an invalid copy. */
    private static QuestionTask rejected(String tenant, String id) {
        QuestionTask q = new QuestionTask();
        q.tenant = tenant;
        q.questionId = id;
        q.rejection = "invalid question: n and k must be between 1 and 64";
        return q;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> harness(HarnessMetrics metrics) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new DropReSentQuestions(TTL)),
                DropReSentQuestions.keySelector(), Types.STRING, metrics.environment().build());
    }

    @SuppressWarnings("unchecked")
    private static List<Answer> answered(KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> h) {
        List<Answer> out = new ArrayList<>();
        var side = h.getSideOutput(DropReSentQuestions.REJECTED);
        if (side != null) {
            side.forEach(r -> out.add(((StreamRecord<Answer>) r).getValue()));
        }
        return out;
    }

    @Test
    void aReSentQuestionIsDroppedAndCountedPerTenantUntilTheTtlOfItsFirstCopy() throws Exception {
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = harness(metrics)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.processElement(question("acme", "q1", 0), 0);
            h.processElement(question("acme", "q1", 10), 0);   // re-sent while in flight
            h.processElement(question("globex", "q1", 20), 0); // another tenant's q1: its own question
            h.processElement(question("acme", "q2", 30), 0);
            assertThat(h.extractOutputValues()).extracting(q -> q.tenant + "/" + q.questionId + "@" + q.receivedAtMs)
                    .containsExactly("acme/q1@0", "globex/q1@20", "acme/q2@30");
            assertThat(metrics.count(ReSentMetrics.DROPPED.name())).isEqualTo(1);

            h.setStateTtlProcessingTime(999);
            h.processElement(question("acme", "q1", 999), 0); // a re-send does not extend the TTL ...
            h.setStateTtlProcessingTime(1_000);
            h.processElement(question("acme", "q1", 1_000), 0); // ... which counts from the first copy
            assertThat(h.extractOutputValues()).extracting(q -> q.receivedAtMs).endsWith(1_000L).hasSize(4);
            assertThat(metrics.count(ReSentMetrics.DROPPED.name())).isEqualTo(2);
            assertThat(h.numProcessingTimeTimers()).isZero();
            assertThat(h.numKeyedStateEntries()).as("one mark per question").isEqualTo(3);
        }
    }

    /**
     * An invalid re-send of a question in flight is dropped: its FAILED answer, out at once, took the place of the first
     * copy's answer. An invalid first copy is the one answer, and a valid re-send of it is dropped.
     */
    @Test
    void onlyTheFirstCopyGoesOnValidOrRejected() throws Exception {
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = harness(metrics)) {
            h.open();
            h.processElement(question("acme", "q1", 0), 0);
            h.processElement(rejected("acme", "q1"), 0);  // re-sent with n=0 while q1 is in flight
            h.processElement(rejected("acme", "q2"), 0);  // an invalid first copy
            h.processElement(question("acme", "q2", 5), 0); // its corrected re-send: the question had its answer
            h.processElement(rejected(null, null), 0);   // no questionId: no question to be a copy of
            h.processElement(rejected(null, null), 0);

            assertThat(h.extractOutputValues()).extracting(q -> q.questionId).containsExactly("q1");
            assertThat(answered(h)).extracting(a -> a.questionId + ":" + a.status + ":" + a.error).containsExactly(
                    "q2:FAILED:invalid question: n and k must be between 1 and 64",
                    "null:FAILED:invalid question: n and k must be between 1 and 64",
                    "null:FAILED:invalid question: n and k must be between 1 and 64");
            assertThat(metrics.count(ReSentMetrics.DROPPED.name())).isEqualTo(2);
        }
    }

    @Test
    void theMarkHoldsAcrossARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(new HarnessMetrics())) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.processElement(question("acme", "q1", 0), 0);
            snapshot = h.snapshot(1, 0);
        }
        try (var restored = harness(new HarnessMetrics())) {
            restored.setStateTtlProcessingTime(500);
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(question("acme", "q1", 500), 0);
            restored.processElement(rejected("acme", "q1"), 0);
            restored.processElement(question("acme", "q2", 500), 0);
            assertThat(restored.extractOutputValues()).extracting(q -> q.questionId).containsExactly("q2");
            assertThat(answered(restored)).isEmpty();
        }
    }
}
