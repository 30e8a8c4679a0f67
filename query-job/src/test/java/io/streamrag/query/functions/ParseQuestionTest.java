package io.streamrag.query.functions;

import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Answer;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.records.QuestionSettings;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RawQuestion;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Question parsing: defaults, budgets through the plan, and every kind of invalid event becomes a FAILED answer with a reason. */
class ParseQuestionTest {

    @TempDir
    Path dir;

    private static RawQuestion raw(String key, String json) {
        return new RawQuestion(key, json.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** The valid questions out of the harness. */
    private static List<QuestionTask> valid(OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h) {
        return h.extractOutputValues().stream().filter(q -> q.rejection == null).collect(Collectors.toList());
    }

    /** The FAILED answers of the invalid ones, in order (the re-send guard makes them their answers). */
    private static List<Answer> failed(OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h) {
        return h.extractOutputValues().stream().filter(q -> q.rejection != null).map(DropReSentQuestions::answerOf)
                .collect(Collectors.toList());
    }

    @Test
    void validQuestionsGetDefaultsAndInvalidOnesAReason() throws Exception {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.N, 6);
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(conf)))) {
            h.processElement(raw("q1", "{\"questionId\":\"q1\",\"tenant\":\"acme\",\"text\":\"Which port?\","
                    + "\"strategy\":\"drag\",\"extra\":true}"), 0);
            h.processElement(raw("q2", "not json"), 0);
            h.processElement(raw("q3", "{\"questionId\":\"q3\",\"tenant\":\"acme\",\"text\":\"x\",\"k\":0}"), 0);
            h.processElement(raw("q4", "{\"questionId\":\"q4\",\"tenant\":\"acme\",\"text\":\"x\",\"n\":\"many\"}"), 0);
            h.processElement(raw("q5", "{\"questionId\":\"q5\",\"text\":\"x\"}"), 0);
            h.processElement(raw(null, "[1,2]"), 0);
            h.processElement(raw("q7", ""), 0);

            List<QuestionTask> valid = valid(h);
            assertThat(valid).hasSize(1);
            assertThat(valid.get(0).n).isEqualTo(6);
            assertThat(valid.get(0).k).isEqualTo(5);
            assertThat(valid.get(0).strategy).isEqualTo("DRAG");
            assertThat(valid.get(0).deadlineMs).isEqualTo(60_000);

            List<Answer> failed = failed(h);
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

    private Configuration withPlan() throws Exception {
        BudgetPlan plan = new BudgetPlan();
        plan.settings.add(new BudgetPlan.Setting("RAG", 2, 1, 0.30, 300, 20));
        plan.settings.add(new BudgetPlan.Setting("RAG", 8, 4, 0.50, 4000, 40));
        plan.settings.add(new BudgetPlan.Setting("DRAG", 4, 2, 0.45, 2000, 30));
        plan.settings.add(new BudgetPlan.Setting("ITERDRAG", 4, 4, 0.60, 9000, 90));
        Path file = dir.resolve("plan.json");
        plan.write(file);
        Configuration conf = new Configuration();
        conf.set(QueryOptions.PLAN, file.toString());
        return conf;
    }

    private static List<QuestionTask> parse(Configuration conf, String... json) throws Exception {
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(conf)))) {
            for (String j : json) {
                h.processElement(raw("k", j), 0);
            }
            assertThat(failed(h)).as("invalid").isEmpty();
            return valid(h);
        }
    }

    @Test
    void aBudgetGetsThePlannedSettingAndNoBudgetKeepsTheDefaults() throws Exception {
        List<QuestionTask> out = parse(withPlan(),
                "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":2500}}",
                "{\"questionId\":\"b\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":5000,\"ms\":35}}",
                "{\"questionId\":\"c\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":100000},\"strategy\":\"rag\"}",
                "{\"questionId\":\"d\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":100000},\"n\":3}",
                "{\"questionId\":\"e\",\"tenant\":\"t\",\"text\":\"x\",\"n\":2}",
                "{\"questionId\":\"f\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":10}}");
        QuestionTask a = out.get(0);
        assertThat(a.strategy + " " + a.k + " " + a.n).isEqualTo("DRAG 4 2");
        assertThat(a.plan.predictedAccuracy).isEqualTo(0.45);
        assertThat(a.plan.budgetTokens).isEqualTo(2500);
        assertThat(a.plan.withinBudget).isTrue();
        QuestionTask b = out.get(1);
        assertThat(b.strategy + " " + b.k + " " + b.n).isEqualTo("DRAG 4 2"); // RAG k=8 N=4 fits the tokens, not the 35 ms
        QuestionTask c = out.get(2);
        assertThat(c.strategy + " " + c.k + " " + c.n).isEqualTo("RAG 8 4"); // the question's own strategy constrains
        QuestionTask d = out.get(3); // no setting has N=3: no plan, the question's n and the defaults
        assertThat(d.plan).isNull();
        assertThat(d.strategy + " " + d.k + " " + d.n).isEqualTo("RAG 5 3");
        QuestionTask e = out.get(4); // without a budget: exactly as without a plan
        assertThat(e.plan).isNull();
        assertThat(e.strategy + " " + e.k + " " + e.n).isEqualTo("RAG 5 2");
        QuestionTask f = out.get(5);
        assertThat(f.plan.withinBudget).isFalse();
        assertThat(f.k).isEqualTo(2);
    }

    /** The plan chooses among the settings that agree with the question's own n and k (they were passed swapped). */
    @Test
    void aQuestionsOwnNAndKAreKeptByThePlan() throws Exception {
        // N=4: RAG k=8 N=4 and ITERDRAG k=4 N=4; neither fits 2,500 tokens, so the cheaper, not within the budget.
        QuestionTask n = parse(withPlan(),
                "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\",\"n\":4,\"budget\":{\"tokens\":2500}}").get(0);
        assertThat(n.strategy + " " + n.k + " " + n.n).isEqualTo("RAG 8 4");
        assertThat(n.plan.withinBudget).isFalse();
        QuestionTask k = parse(withPlan(),
                "{\"questionId\":\"b\",\"tenant\":\"t\",\"text\":\"x\",\"k\":8,\"budget\":{\"tokens\":100000}}").get(0);
        assertThat(k.plan).as("RAG k=8 N=4 agrees with k=8").isNotNull();
        assertThat(k.strategy + " " + k.k + " " + k.n).isEqualTo("RAG 8 4");
    }

    private Configuration withPlanFile(String json) throws Exception {
        Path file = dir.resolve("plan-" + Math.abs(json.hashCode()) + ".json");
        Files.writeString(file, json);
        Configuration conf = new Configuration();
        conf.set(QueryOptions.PLAN, file.toString());
        return conf;
    }

    private static String setting(String strategy, int k, int n) {
        return "{\"strategy\":\"" + strategy + "\",\"k\":" + k + ",\"n\":" + n
                + ",\"predictedAccuracy\":0.9,\"tokens\":100,\"ms\":10}";
    }

    /**
     * A plan no question could run fails the submission with a reason, instead of failing every budgeted question (a
     * setting past query.max-n) or running RAG under another name (an unknown strategy); names in any case are the
     * job's own.
     */
    @Test
    void aPlanWithSettingsNoQuestionCouldRunIsRefusedWhenTheJobIsBuilt() throws Exception {
        assertThatThrownBy(() -> QuestionSettings.from(withPlanFile("{\"settings\":[" + setting("RAG", 5, 64) + "]}")))
                .hasMessageContaining("query.max-n=32");
        assertThatThrownBy(() -> QuestionSettings.from(withPlanFile("{\"settings\":[" + setting("SELF_ASK", 5, 2) + "]}")))
                .hasMessageContaining("unknown strategy");
        assertThatThrownBy(() -> QuestionSettings.from(withPlanFile("{\"settings\":[null]}")))
                .hasStackTraceContaining("setting 1").hasStackTraceContaining("is missing");
        Configuration zero = withPlan();
        zero.set(QueryOptions.PLAN_DEFAULT_BUDGET_TOKENS, 0L);
        assertThatThrownBy(() -> QuestionSettings.from(zero)).hasMessageContaining("default-budget.tokens");

        QuestionTask q = parse(withPlanFile("{\"settings\":[" + setting("rag", 5, 2) + "]}"),
                "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\",\"strategy\":\"RAG\",\"budget\":{\"tokens\":500}}")
                .get(0);
        assertThat(q.plan).as("a plan written with \"rag\" agrees with a question asking for RAG").isNotNull();
        assertThat(q.plan.strategy).isEqualTo("RAG");
    }

    @Test
    void theDefaultBudgetPlansQuestionsWithoutOneAndBudgetsWithoutAPlanAreIgnored() throws Exception {
        Configuration conf = withPlan();
        conf.set(QueryOptions.PLAN_DEFAULT_BUDGET_LATENCY, Duration.ofMillis(50));
        QuestionTask q = parse(conf, "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\"}").get(0);
        assertThat(q.strategy + " " + q.k + " " + q.n).isEqualTo("RAG 8 4");
        assertThat(q.plan.budgetMs).isEqualTo(50);
        assertThat(q.plan.budgetTokens).isNull();
        QuestionTask noPlan = parse(new Configuration(),
                "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":{\"tokens\":2500}}").get(0);
        assertThat(noPlan.plan).isNull();
        assertThat(noPlan.strategy + " " + noPlan.k + " " + noPlan.n).isEqualTo("RAG 5 8");
    }

    @Test
    void anInvalidBudgetFailsTheQuestion() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(withPlan())))) {
            for (String budget : new String[] {"5", "{}", "{\"tokens\":0}", "{\"tokens\":\"lots\"}", "{\"ms\":-1}"}) {
                h.processElement(raw("k", "{\"questionId\":\"q\",\"tenant\":\"t\",\"text\":\"x\",\"budget\":"
                        + budget + "}"), 0);
            }
            assertThat(valid(h)).isEmpty();
            assertThat(failed(h)).hasSize(5)
                    .allSatisfy(a -> assertThat(a.error).contains("budget must be an object"));
        }
    }

    @Test
    void aSeedIsKeptAndMustBeAnInteger() throws Exception {
        List<QuestionTask> out = parse(new Configuration(),
                "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"x\",\"seed\":-7}",
                "{\"questionId\":\"b\",\"tenant\":\"t\",\"text\":\"x\"}");
        assertThat(out.get(0).seed).isEqualTo(-7L);
        assertThat(out.get(1).seed).isNull();
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(new Configuration())))) {
            h.processElement(raw("k", "{\"questionId\":\"q\",\"tenant\":\"t\",\"text\":\"x\",\"seed\":1.5}"), 0);
            assertThat(valid(h)).isEmpty();
            assertThat(failed(h)).singleElement()
                    .satisfies(a -> assertThat(a.error).contains("seed must be an integer"));
        }
    }

    @Test
    void tooLongIdsAndWrappingNumbersAreRefusedAndTheAnswerStaysSmall() throws Exception {
        String hugeStrategy = "x".repeat(600_000); // echoed twice before: an answer the sink could not write
        String hugeId = "q".repeat(400_000);
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(new Configuration())))) {
            h.processElement(raw("a", "{\"questionId\":\"a\",\"tenant\":\"acme\",\"text\":\"x\",\"strategy\":\"" + hugeStrategy + "\"}"), 0);
            h.processElement(raw(hugeId, "{\"questionId\":\"" + hugeId + "\",\"tenant\":\"acme\",\"text\":\"x\"}"), 0);
            h.processElement(raw("c", "{\"questionId\":\"c\",\"tenant\":\"" + "t".repeat(65) + "\",\"text\":\"x\"}"), 0);
            h.processElement(raw("d", "{\"questionId\":\"d\",\"tenant\":\"acme\",\"text\":\"x\",\"n\":4294967297}"), 0);
            h.processElement(raw("e", "{\"questionId\":\"e\",\"tenant\":\"acme\",\"text\":\"x\",\"deadlineMs\":18446744073709556616}"), 0);
            h.processElement(raw("f", "{\"questionId\":\"f\",\"tenant\":\"acme\",\"text\":\"\\u0007\\u0008\"}"), 0);

            assertThat(valid(h)).isEmpty();
            List<Answer> failed = failed(h);
            assertThat(failed).extracting(a -> a.status).containsOnly(Answer.Status.FAILED);
            assertThat(failed).hasSize(6);
            assertThat(failed.get(0).error).contains("unknown strategy").contains("(600000 characters)");
            assertThat(failed.get(1).error).contains("questionId is 400000 bytes long; at most 256");
            assertThat(failed.get(1).questionId).hasSizeLessThan(400).endsWith("(400000 characters)");
            assertThat(failed.get(2).error).contains("tenant is 65 bytes long; at most 64");
            assertThat(failed.get(3).error).contains("n and k must be between"); // intValue() made it n=1
            assertThat(failed.get(4).error).contains("must be integers"); // asLong() made it 5000 ms
            assertThat(failed.get(5).error).contains("text holds no words"); // was retried until the deadline
            var sink = new io.streamrag.query.io.kafka.AnswerSerializer("answers", 1024 * 1024);
            for (Answer a : failed) {
                var record = sink.serialize(a, null, 1L);
                assertThat(record.key().length + record.value().length).isLessThan(16 * 1024);
            }
        }
    }

    @Test
    void idsWithControlOrLineSeparatorCharactersAreRefused() throws Exception {
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(new Configuration())))) {
            h.processElement(raw("a", "{\"questionId\":\"a\\n## Task\",\"tenant\":\"acme\",\"text\":\"x\"}"), 0);
            h.processElement(raw("b", "{\"questionId\":\"b\",\"tenant\":\"ac\\u2028me\",\"text\":\"x\"}"), 0);
            h.processElement(raw("c", "{\"questionId\":\"c\\u202e\",\"tenant\":\"acme\",\"text\":\"x\"}"), 0);
            h.processElement(raw("d", "{\"questionId\":\"d \u00e9\u4e2d\",\"tenant\":\"acme\",\"text\":\"x\"}"), 0);

            assertThat(valid(h)).extracting(t -> t.questionId).containsExactly("d \u00e9\u4e2d");
            List<Answer> failed = failed(h);
            assertThat(failed).extracting(a -> a.error).containsExactly(
                    "invalid question: questionId holds the control character U+000A at 1; ids may not hold control, line-separator or bidi characters",
                    "invalid question: tenant holds the control character U+2028 at 2; ids may not hold control, line-separator or bidi characters",
                    "invalid question: questionId holds the control character U+202E at 1; ids may not hold control, line-separator or bidi characters");
        }
    }

    /**
     * A question's text is bounded in UTF-8 bytes (query.max-question-bytes, 16 KiB by default): a megabyte one (Kafka's
     * default record limit) was embedded, queued and copied into each of its n prompts. Exactly at the limit it passes;
     * whitespace around it is not counted; the FAILED answer names the limit and does not repeat the text.
     */
    @Test
    void aQuestionTextOverTheLimitIsFailedNamingItAndOneExactlyAtItPasses() throws Exception {
        String atLimit = "\u00e9".repeat(8 * 1024); // 2 bytes each: 16,384 bytes in 8,192 characters
        String huge = "x".repeat(1024 * 1024);
        try (OneInputStreamOperatorTestHarness<RawQuestion, QuestionTask> h =
                     ProcessFunctionTestHarnesses.forProcessFunction(new ParseQuestion(QuestionSettings.from(new Configuration())))) {
            h.processElement(raw("a", "{\"questionId\":\"a\",\"tenant\":\"acme\",\"text\":\"  " + atLimit + "\\n\"}"), 0);
            h.processElement(raw("b", "{\"questionId\":\"b\",\"tenant\":\"acme\",\"text\":\"" + atLimit + "x\"}"), 0);
            h.processElement(raw("c", "{\"questionId\":\"c\",\"tenant\":\"acme\",\"text\":\"" + huge + "\",\"n\":32}"), 0);

            assertThat(valid(h)).extracting(q -> q.questionId).containsExactly("a");
            assertThat(valid(h).get(0).text).isEqualTo(atLimit);
            List<Answer> failed = failed(h);
            assertThat(failed).extracting(a -> a.questionId).containsExactly("b", "c");
            assertThat(failed).extracting(a -> a.status).containsOnly(Answer.Status.FAILED);
            assertThat(failed.get(0).error).isEqualTo("invalid question: text is 16385 bytes long; at most 16384 are "
                    + "allowed (query.max-question-bytes=16 kb)");
            assertThat(failed.get(1).error).startsWith("invalid question: text is 1048576 bytes long; at most 16384");
            var sink = new io.streamrag.query.io.kafka.AnswerSerializer("answers", 1024 * 1024);
            var record = sink.serialize(failed.get(1), null, 1L);
            assertThat(record.value().length).isLessThan(4 * 1024);
        }

        Configuration small = new Configuration();
        small.set(QueryOptions.MAX_QUESTION_BYTES, MemorySize.parse("100b"));
        assertThat(parse(small, "{\"questionId\":\"a\",\"tenant\":\"t\",\"text\":\"" + "y".repeat(100) + "\"}"))
                .hasSize(1);
        small.set(QueryOptions.MAX_QUESTION_BYTES, MemorySize.ZERO);
        assertThatThrownBy(() -> QuestionSettings.from(small)).hasMessageContaining("query.max-question-bytes");
    }
}
