package io.streamrag.query.functions;

import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.query.metrics.ReSentMetrics;
import io.streamrag.query.records.QuestionTask;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A question re-sent within the dedup TTL is dropped before retrieval (counted), per tenant, across a restore; past
 * the TTL, counted from the first copy, it is asked again; no timers, and its mark is the only state a question leaves.
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

    private static KeyedOneInputStreamOperatorTestHarness<String, QuestionTask, QuestionTask> harness(HarnessMetrics metrics) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new DropReSentQuestions(TTL)),
                (QuestionTask q) -> q.key(), Types.STRING, metrics.environment().build());
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
            restored.processElement(question("acme", "q2", 500), 0);
            assertThat(restored.extractOutputValues()).extracting(q -> q.questionId).containsExactly("q2");
        }
    }
}
