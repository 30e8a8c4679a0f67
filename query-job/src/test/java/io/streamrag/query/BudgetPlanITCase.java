package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole query job with a budget plan ({@code query.plan}): a question with a budget runs the strategy, k and N
 * the plan picks for it and its answer reports them; a question without a budget runs the defaults, unplanned. And a
 * question's {@code seed}: the same seed gives the same candidates under another questionId.
 */
class BudgetPlanITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @TempDir
    Path dir;

    @Test
    void aQuestionWithABudgetRunsThePlannedSettingAndTheAnswerSaysSo() throws Exception {
        String alias = chunks();
        BudgetPlan plan = new BudgetPlan();
        plan.settings.add(new BudgetPlan.Setting("RAG", 1, 1, 0.30, 200, 20));
        plan.settings.add(new BudgetPlan.Setting("DRAG", 3, 2, 0.50, 1500, 40));
        plan.settings.add(new BudgetPlan.Setting("RAG", 4, 6, 0.60, 6000, 40));
        Path planFile = dir.resolve("plan.json");
        plan.write(planFile);

        Configuration withPlan = new Configuration();
        withPlan.set(QueryOptions.PLAN, planFile.toString());
        Map<String, Answer> answers = run(alias, withPlan,
                "{\"questionId\":\"q-budget\",\"tenant\":\"acme\",\"text\":\"Which port does the admin UI use?\","
                        + "\"budget\":{\"tokens\":2000}}",
                "{\"questionId\":\"q-plain\",\"tenant\":\"acme\",\"text\":\"Which port does the admin UI use?\"}");

        Answer planned = answers.get("q-budget");
        assertThat(planned.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(planned.answer).isEqualTo("8443");
        assertThat(planned.plan).isNotNull();
        assertThat(planned.plan.strategy).isEqualTo("DRAG");
        assertThat(planned.plan.k).isEqualTo(3);
        assertThat(planned.plan.n).isEqualTo(2);
        assertThat(planned.plan.budgetTokens).isEqualTo(2000L);
        assertThat(planned.plan.withinBudget).isTrue();
        // What ran is what the plan says: strategy, k chunks retrieved, N candidates asked.
        assertThat(planned.strategy).isEqualTo("DRAG");
        assertThat(planned.retrieved).hasSize(3);
        assertThat(planned.usage.candidatesRequested).isEqualTo(2);

        Answer plain = answers.get("q-plain");
        assertThat(plain.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(plain.plan).isNull();
        assertThat(plain.strategy).isEqualTo("RAG");
        assertThat(plain.retrieved).hasSize(4); // default k=5, four chunks in the index
        assertThat(plain.usage.candidatesRequested).isEqualTo(3);
    }

    @Test
    void aQuestionWithASeedGetsTheSameCandidatesWhateverItsId() throws Exception {
        String alias = chunks();
        // Four chunks, a question several spans could answer and a high temperature: the samples depend on the seed.
        // N=2 so the vote never settles before both candidates are in (both are always in the answer).
        String ask = ",\"tenant\":\"acme\",\"text\":\"What does the manual say about the nodes and the jobs?\","
                + "\"n\":2,\"k\":4,\"strategy\":\"RAG\"";
        Configuration hot = new Configuration();
        hot.set(QueryOptions.TEMPERATURE, 1.5);
        Map<String, Answer> answers = run(alias, hot,
                "{\"questionId\":\"q-seed-a\"" + ask + ",\"seed\":7}",
                "{\"questionId\":\"q-seed-b\"" + ask + ",\"seed\":7}",
                "{\"questionId\":\"q-seed-c\"" + ask + ",\"seed\":8}");

        List<String> a = candidateAnswers(answers.get("q-seed-a"));
        assertThat(a).hasSize(2);
        assertThat(candidateAnswers(answers.get("q-seed-b"))).isEqualTo(a);
        assertThat(answers.get("q-seed-b").answer).isEqualTo(answers.get("q-seed-a").answer);
        // Another seed draws other samples (so the equality above is the seed's doing, not a deterministic answerer).
        assertThat(candidateAnswers(answers.get("q-seed-c"))).isNotEqualTo(a);
    }

    private static List<String> candidateAnswers(Answer a) {
        assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
        return a.candidates.stream().map(c -> c.answer).collect(Collectors.toList());
    }

    private static String chunks() throws Exception {
        String alias = OPENSEARCH.uniqueName("it-plan-chunks");
        TestChunks.index(OPENSEARCH, alias, new String[][] {
            {"acme", "manual-42", "17", "The admin UI listens on port 8443 over HTTPS."},
            {"acme", "manual-42", "3", "Installation requires Java 17 and at least 4 GB of memory on every node."},
            {"acme", "manual-42", "25", "Nightly backups are written to the object store bucket named acme-backups."},
            {"acme", "manual-42", "30", "The scheduler retries failed jobs 5 times before alerting the on-call engineer."},
        });
        return alias;
    }

    /** Runs the query job (one local endpoint, default N 3, plus {@code options}) until every question is answered. */
    private static Map<String, Answer> run(String alias, Configuration options, String... questionEvents) throws Exception {
        String questions = KAFKA.createTopic("it-plan-questions", 1);
        String answersTopic = KAFKA.createTopic("it-plan-answers", 1);
        for (String event : questionEvents) {
            KAFKA.send(questions, Json.MAPPER.readTree(event).get("questionId").asText(), event);
        }
        try (LocalModelServer model = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
            conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + model.baseUrl() + ",extractive,8");
            conf.set(QueryOptions.N, 3);
            conf.addAll(options);
            conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-plan-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            env.setParallelism(2);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("budget-plan-itcase");
            List<ConsumerRecord<String, String>> records;
            try {
                records = KAFKA.readCommitted(answersTopic, r -> r.size() >= questionEvents.length, Duration.ofMinutes(2));
            } finally {
                job.cancel().get();
            }
            return records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                    .collect(Collectors.toMap(x -> x.questionId, Function.identity(), (x, y) -> x));
        }
    }
}
