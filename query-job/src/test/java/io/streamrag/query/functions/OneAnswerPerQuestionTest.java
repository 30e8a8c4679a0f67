package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
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
}
