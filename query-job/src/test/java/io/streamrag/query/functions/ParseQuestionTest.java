package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RawQuestion;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Question parsing: defaults, and every kind of invalid event becomes a FAILED answer with a reason. */
class ParseQuestionTest {

    private static RawQuestion raw(String key, String json) {
        return new RawQuestion(key, json.getBytes(StandardCharsets.UTF_8), 0);
    }

    @Test
    void validQuestionsGetDefaultsAndInvalidOnesAReason() throws Exception {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.N, 6);
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(conf))) {
            h.processElement(raw("q1", "{\"questionId\":\"q1\",\"tenant\":\"acme\",\"text\":\"Which port?\","
                    + "\"strategy\":\"drag\",\"extra\":true}"), 0);
            h.processElement(raw("q2", "not json"), 0);
            h.processElement(raw("q3", "{\"questionId\":\"q3\",\"tenant\":\"acme\",\"text\":\"x\",\"k\":0}"), 0);
            h.processElement(raw("q4", "{\"questionId\":\"q4\",\"tenant\":\"acme\",\"text\":\"x\",\"n\":\"many\"}"), 0);
            h.processElement(raw("q5", "{\"questionId\":\"q5\",\"text\":\"x\"}"), 0);
            h.processElement(raw(null, "[1,2]"), 0);
            h.processElement(raw("q7", ""), 0);

            List<QuestionTask> valid = h.extractOutputValues();
            assertThat(valid).hasSize(1);
            assertThat(valid.get(0).n).isEqualTo(6);
            assertThat(valid.get(0).k).isEqualTo(5);
            assertThat(valid.get(0).strategy).isEqualTo("DRAG");
            assertThat(valid.get(0).deadlineMs).isEqualTo(60_000);

            List<Answer> failed = h.getSideOutput(ParseQuestion.INVALID).stream()
                    .map(r -> r.getValue()).collect(Collectors.toList());
            assertThat(failed).hasSize(6).allSatisfy(a -> assertThat(a.status).isEqualTo(Answer.Status.FAILED));
            assertThat(failed.get(0).questionId).isEqualTo("q2");
            assertThat(failed.get(0).error).contains("invalid JSON");
            assertThat(failed.get(1).error).contains("k must be between");
            assertThat(failed.get(2).error).contains("must be integers");
            assertThat(failed.get(3).error).contains("missing tenant");
            assertThat(failed.get(4).error).contains("not a JSON object");
            assertThat(failed.get(5).questionId).isEqualTo("q7");
        }
    }
}
