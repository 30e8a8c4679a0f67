package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;

import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Re-sent questions are answered once within the TTL; answers without an id always pass. */
class OneAnswerPerQuestionTest {

    private static Answer answer(String id) {
        Answer a = new Answer();
        a.questionId = id;
        a.status = Answer.Status.FAILED;
        return a;
    }

    @Test
    void dropsDuplicatesUntilTheTtl() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> h =
                     ProcessFunctionTestHarnesses.forKeyedProcessFunction(
                             new OneAnswerPerQuestion(Duration.ofMillis(1000)), OneAnswerPerQuestion.keySelector(), Types.STRING)) {
            h.setStateTtlProcessingTime(0);
            h.processElement(answer("q1"), 0);
            h.processElement(answer("q1"), 0);
            h.processElement(answer(null), 0);
            h.processElement(answer(null), 0);
            assertThat(h.extractOutputValues()).hasSize(3);
            h.setStateTtlProcessingTime(999);
            h.processElement(answer("q1"), 0);
            assertThat(h.extractOutputValues()).hasSize(3);
            h.setStateTtlProcessingTime(1000); // the TTL counts from the answer, in wall-clock time
            h.processElement(answer("q1"), 0);
            assertThat(h.extractOutputValues()).hasSize(4);
        }
    }

    @Test
    void theDefaultTtlHoldsAcrossARestoreAfterAPauseLongerThanTheOldWindow() throws Exception {
        Duration ttl = Duration.ofDays(7); // query.dedup.ttl's default
        long answeredAt = 1_000_000L;
        OperatorSubtaskState snapshot;
        try (KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> h = harness(ttl)) {
            h.open();
            h.setStateTtlProcessingTime(answeredAt);
            h.processElement(answer("q1"), 0);
            snapshot = h.snapshot(1, answeredAt);
        }
        // Restored 11 minutes later (the old window was 10), then 6 days later: the re-sent id is still dropped.
        for (long pause : new long[] {Duration.ofMinutes(11).toMillis(), Duration.ofDays(6).toMillis()}) {
            try (KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> restored = harness(ttl)) {
                restored.setStateTtlProcessingTime(answeredAt + pause);
                restored.initializeState(snapshot);
                restored.open();
                restored.processElement(answer("q1"), 0);
                restored.processElement(answer("q2"), 0);
                assertThat(restored.extractOutputValues()).extracting(a -> a.questionId).containsExactly("q2");
            }
        }
        // Past the TTL the id may be answered again.
        try (KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> restored = harness(ttl)) {
            restored.setStateTtlProcessingTime(answeredAt + ttl.toMillis());
            restored.initializeState(snapshot);
            restored.open();
            restored.processElement(answer("q1"), 0);
            assertThat(restored.extractOutputValues()).extracting(a -> a.questionId).containsExactly("q1");
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> harness(Duration ttl) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new OneAnswerPerQuestion(ttl)),
                OneAnswerPerQuestion.keySelector(), Types.STRING);
    }

    /** What releases before the TTL wrote: an "until" per answered questionId, and a timer at it. */
    static final class LegacyMarks extends KeyedProcessFunction<String, Answer, Answer> {
        private static final long serialVersionUID = 1L;
        private final long until;

        LegacyMarks(long until) {
            this.until = until;
        }

        @Override
        public void processElement(Answer a, Context ctx, Collector<Answer> out) throws Exception {
            long u = a.error == null ? until : Long.parseLong(a.error); // a per-answer "until" when given
            getRuntimeContext().getState(new ValueStateDescriptor<>("answered-until", Long.class)).update(u);
            ctx.timerService().registerProcessingTimeTimer(u);
        }
    }

    @Test
    void marksOfEarlierReleasesCountUntilTheirTimeAndAreThenDropped() throws Exception {
        long now = System.currentTimeMillis();
        OperatorSubtaskState legacy;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new LegacyMarks(now + 86_400_000L)),
                OneAnswerPerQuestion.keySelector(), Types.STRING)) {
            h.open();
            h.processElement(answer("fresh"), 0); // expires tomorrow
            Answer expired = answer("expired");
            expired.error = String.valueOf(now - 1_000);
            h.processElement(expired, 0);
            Answer idle = answer("idle");
            idle.error = "5000";
            h.processElement(idle, 0); // never asked again; its timer fires after the restore
            legacy = h.snapshot(1, 1);
        }
        try (KeyedOneInputStreamOperatorTestHarness<String, Answer, Answer> h = harness(Duration.ofDays(7))) {
            h.initializeState(legacy);
            h.open();
            int before = h.numKeyedStateEntries();
            h.setProcessingTime(6_000); // idle's timer
            assertThat(h.numKeyedStateEntries()).isEqualTo(before - 1);
            h.processElement(answer("fresh"), 0);
            h.processElement(answer("expired"), 0);
            assertThat(h.extractOutputValues()).extracting(a -> a.questionId).containsExactly("expired");
        }
    }
}
