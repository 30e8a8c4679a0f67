package io.streamrag.query.functions;

import io.streamrag.common.records.Answer;
import io.streamrag.query.TestRetrievals;
import io.streamrag.query.records.Retrieval;

import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Retrieval's routing: context goes on to generation; no hits are NO_CONTEXT and errors FAILED, both with the plan. */
class RouteRetrievalTest {

    private static List<Answer> answers(Retrieval r) throws Exception {
        try (OneInputStreamOperatorTestHarness<Retrieval, Retrieval> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new RouteRetrieval())) {
            h.processElement(r, 0);
            assertThat(h.extractOutputValues()).as("nothing goes on to generation").isEmpty();
            return h.getSideOutput(RouteRetrieval.NO_CONTEXT).stream().map(e -> e.getValue()).collect(Collectors.toList());
        }
    }

    /** A planned question reports the plan's choice whatever its outcome (a FAILED one left it out). */
    @Test
    void aPlannedQuestionReportsItsPlanWhenRetrievalFailsOrFindsNothing() throws Exception {
        Answer.Plan plan = new Answer.Plan();
        plan.strategy = "RAG";
        plan.k = 4;
        plan.n = 2;

        Retrieval failed = TestRetrievals.adminPort("q-failed", 2, 10_000);
        failed.question.plan = plan;
        failed.error = "retrieval failed: OpenSearch unreachable";
        Answer a = answers(failed).get(0);
        assertThat(a.status).isEqualTo(Answer.Status.FAILED);
        assertThat(a.plan).isNotNull();
        assertThat(a.plan.k).isEqualTo(4);

        Retrieval empty = TestRetrievals.adminPort("q-empty", 2, 10_000);
        empty.question.plan = plan;
        empty.chunks.clear();
        Answer b = answers(empty).get(0);
        assertThat(b.status).isEqualTo(Answer.Status.NO_CONTEXT);
        assertThat(b.plan).isNotNull();
    }
}
