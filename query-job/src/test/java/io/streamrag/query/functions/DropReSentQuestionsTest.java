package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.vote.Answers;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Of the copies of a question sent within the dedup TTL only the first goes on, valid or invalid, per tenant, across a
 * restore; past the TTL, counted from the first copy, it is asked again; no timers, one mark per question. (What the
 * dropping saves is counted end to end in ProvidersITCase: every question sent twice, the requests of one copy.)
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

    private static Answer invalid(String tenant, String id) {
        return Answers.failed(id, tenant, "DRAG", "invalid question: n and k must be between 1 and 64", 0);
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, QuestionTask, Answer, QuestionTask> harness() throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new DropReSentQuestions(TTL)),
                (QuestionTask q) -> q.key(), OneAnswerPerQuestion.keySelector(), Types.STRING);
    }

    private static List<String> invalidOut(KeyedTwoInputStreamOperatorTestHarness<String, QuestionTask, Answer, QuestionTask> h) {
        List<String> out = new ArrayList<>();
        var side = h.getSideOutput(DropReSentQuestions.INVALID);
        if (side != null) {
            side.forEach(r -> out.add(((StreamRecord<Answer>) r).getValue().tenant + "/" + ((StreamRecord<Answer>) r).getValue().questionId));
        }
        return out;
    }

    @Test
    void aReSentQuestionIsDroppedAndCountedPerTenantUntilTheTtlOfItsFirstCopy() throws Exception {
        try (var h = harness()) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.processElement1(question("acme", "q1", 0), 0);
            h.processElement1(question("acme", "q1", 10), 0);   // re-sent while in flight
            h.processElement1(question("globex", "q1", 20), 0); // another tenant's q1: its own question
            h.processElement1(question("acme", "q2", 30), 0);
            assertThat(h.extractOutputValues()).extracting(q -> q.tenant + "/" + q.questionId + "@" + q.receivedAtMs)
                    .containsExactly("acme/q1@0", "globex/q1@20", "acme/q2@30");

            h.setStateTtlProcessingTime(999);
            h.processElement1(question("acme", "q1", 999), 0); // a re-send does not extend the TTL ...
            h.setStateTtlProcessingTime(1_000);
            h.processElement1(question("acme", "q1", 1_000), 0); // ... which counts from the first copy
            assertThat(h.extractOutputValues()).extracting(q -> q.receivedAtMs).endsWith(1_000L).hasSize(4);
            assertThat(h.numProcessingTimeTimers()).isZero();
            assertThat(h.numKeyedStateEntries()).as("one mark per question").isEqualTo(3);
        }
    }

    /**
     * An invalid re-send of a question in flight is dropped: its FAILED answer, out at once, took the place of the first
     * copy's answer. An invalid first copy is the one answer, and a valid re-send of it is dropped.
     */
    @Test
    void onlyTheFirstCopyGoesOnValidOrInvalid() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement1(question("acme", "q1", 0), 0);
            h.processElement2(invalid("acme", "q1"), 0);  // re-sent with n=0 while q1 is in flight
            h.processElement2(invalid("acme", "q2"), 0);  // invalid first copy
            h.processElement1(question("acme", "q2", 5), 0); // corrected re-send: the question had its answer
            h.processElement2(invalid("acme", null), 0);  // no questionId: no question to be a copy of
            h.processElement2(invalid("acme", null), 0);

            assertThat(h.extractOutputValues()).extracting(q -> q.questionId).containsExactly("q1");
            assertThat(invalidOut(h)).containsExactly("acme/q2", "acme/null", "acme/null");
        }
    }

    @Test
    void theMarkHoldsAcrossARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.processElement1(question("acme", "q1", 0), 0);
            snapshot = h.snapshot(1, 0);
        }
        try (var restored = harness()) {
            restored.setStateTtlProcessingTime(500);
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement1(question("acme", "q1", 500), 0);
            restored.processElement2(invalid("acme", "q1"), 0);
            restored.processElement1(question("acme", "q2", 500), 0);
            assertThat(restored.extractOutputValues()).extracting(q -> q.questionId).containsExactly("q2");
            assertThat(invalidOut(restored)).isEmpty();
        }
    }
}
