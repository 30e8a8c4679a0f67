package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.model.Faults;
import io.streamrag.model.testing.LocalModelServerExtension;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole query job on a MiniCluster with real Kafka and OpenSearch and four in-process model endpoints: one
 * healthy, one always failing (500), one rate-limiting its first requests (429 + Retry-After), one timing out.
 */
class QueryJobITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final int MAX_RETRIES = 2;

    @RegisterExtension
    static final LocalModelServerExtension HEALTHY = new LocalModelServerExtension();

    @RegisterExtension
    static final LocalModelServerExtension FLAKY = new LocalModelServerExtension(Faults.parse("error=1.0"));

    @RegisterExtension
    static final LocalModelServerExtension LIMITED =
            new LocalModelServerExtension(Faults.parse("ratelimitFirst=2,retryAfter=1"));

    @RegisterExtension
    static final LocalModelServerExtension SLOW =
            new LocalModelServerExtension(Faults.parse("timeout=1.0,timeoutMs=4000"));

    private static Map<String, Answer> answers;
    private static List<ConsumerRecord<String, String>> records;
    private static int questionsSent;

    @BeforeAll
    static void runJob() throws Exception {
        String alias = OPENSEARCH.uniqueName("it-query-chunks");
        indexChunks(alias);

        String questions = KAFKA.createTopic("it-questions", 1);
        String answersTopic = KAFKA.createTopic("it-answers", 1);
        List<String[]> sent = new ArrayList<>();
        sent.add(new String[] {"q-acme-port", "{\"questionId\":\"q-acme-port\",\"tenant\":\"acme\","
                + "\"text\":\"Which port does the admin UI use?\",\"n\":4,\"k\":3}"});
        sent.add(new String[] {"q-globex-port", "{\"questionId\":\"q-globex-port\",\"tenant\":\"globex\","
                + "\"text\":\"Which port does the admin UI use?\",\"n\":4,\"k\":3}"});
        sent.add(new String[] {"q-drag", "{\"questionId\":\"q-drag\",\"tenant\":\"acme\",\"strategy\":\"DRAG\","
                + "\"text\":\"How many times does the scheduler retry failed jobs?\",\"n\":4}"});
        sent.add(new String[] {"q-iter", "{\"questionId\":\"q-iter\",\"tenant\":\"acme\",\"strategy\":\"ITERDRAG\","
                + "\"text\":\"Which port does the admin UI use and how much memory does installation require?\",\"n\":4}"});
        sent.add(new String[] {"q-nobody", "{\"questionId\":\"q-nobody\",\"tenant\":\"initech\","
                + "\"text\":\"Which port does the admin UI use?\"}"});
        sent.add(new String[] {"q-bad-n", "{\"questionId\":\"q-bad-n\",\"tenant\":\"acme\",\"text\":\"x?\",\"n\":1000}"});
        sent.add(new String[] {"q-no-text", "{\"questionId\":\"q-no-text\",\"tenant\":\"acme\"}"});
        sent.add(new String[] {"q-bad-json", "{not json"});
        sent.add(new String[] {"q-bad-strategy", "{\"questionId\":\"q-bad-strategy\",\"tenant\":\"acme\","
                + "\"text\":\"x?\",\"strategy\":\"MAGIC\"}"});
        for (String[] q : sent) {
            KAFKA.send(questions, q[0], q[1]);
        }
        questionsSent = sent.size();
        // Re-sent questions (same questionId) must not produce a second answer.
        KAFKA.send(questions, "q-nobody", sent.get(4)[1]);
        KAFKA.send(questions, "q-bad-n", sent.get(5)[1]);

        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.ENDPOINTS, String.join(";",
                "healthy=openai," + HEALTHY.baseUrl() + ",extractive,4,1.0,5000",
                "flaky=openai," + FLAKY.baseUrl() + ",extractive,2,1.0,5000",
                "limited=openai," + LIMITED.baseUrl() + ",extractive,2,1.0,5000",
                "slow=openai," + SLOW.baseUrl() + ",extractive,4,1.0,800"));
        conf.set(QueryOptions.RETRY_MAX_RETRIES, MAX_RETRIES);
        conf.set(QueryOptions.RETRY_BACKOFF, Duration.ofMillis(100));
        conf.set(QueryOptions.DEADLINE, Duration.ofMillis(60_000));
        conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-query-" + UUID.randomUUID());
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        // This test counts the calls each faulty endpoint receives: no hedges, no breaker (EndpointResilienceITCase).
        conf.set(QueryOptions.HEDGE_ENABLED, false);
        conf.set(QueryOptions.BREAKER_MINIMUM_CALLS, 1000);
        conf.set(QueryOptions.BREAKER_WINDOW, 1000);

        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(2);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("query-job-itcase");
        try {
            KAFKA.readCommitted(answersTopic, r -> r.size() >= questionsSent, Duration.ofMinutes(3));
            // Read again after a quiet spell so duplicates would show.
            records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(4));
            // Let the failing candidates finish their retries before counting requests (the slow ones are aborted
            // once their question is decided, so they may make fewer).
            long until = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < until && FLAKY.chatRequests() < 4 * (1 + MAX_RETRIES)) {
                Thread.sleep(100);
            }
            Thread.sleep(1000); // would reveal extra attempts
        } finally {
            job.cancel().get();
        }
        records.forEach(r -> System.out.println("answer " + r.value()));
        answers = records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                .collect(Collectors.toMap(a -> a.questionId, Function.identity(), (a, b) -> a));
    }

    private static void indexChunks(String alias) throws Exception {
        String[][] chunks = {
            {"acme", "manual-42", "17", "The admin UI listens on port 8443 over HTTPS. Administrators sign in with their company account."},
            {"acme", "manual-42", "3", "Installation requires Java 17 and at least 4 GB of memory on every node."},
            {"acme", "manual-42", "25", "Nightly backups are written to the object store bucket named acme-backups."},
            {"acme", "manual-42", "30", "The scheduler retries failed jobs 5 times before alerting the on-call engineer."},
            {"globex", "globex-guide", "2", "The admin UI of the Globex console listens on port 9443."},
            {"globex", "globex-guide", "9", "Globex exports metrics on port 9100 for Prometheus."},
        };
        TestChunks.index(OPENSEARCH, alias, chunks);
    }

    @Test
    void exactlyOneAnswerPerQuestion() {
        Map<String, Long> perQuestion = records.stream()
                .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
        assertThat(records).hasSize(questionsSent);
        assertThat(perQuestion.values()).containsOnly(1L);
    }

    @Test
    void answersWithCitationsToTheRightPage() {
        Answer a = answers.get("q-acme-port");
        assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(a.answer).isEqualTo("8443");
        assertThat(a.citations).isNotEmpty();
        assertThat(a.citations.get(0).documentId).isEqualTo("manual-42");
        assertThat(a.citations.get(0).page).isEqualTo(17);
        assertThat(a.retrieved).hasSize(3);
        // Early decision: once the two healthy endpoints agree, the last (slow) candidate cannot change it.
        assertThat(a.candidates.size()).isBetween(3, 4);
        assertThat(a.usage.candidatesRequested).isEqualTo(4);
        assertThat(a.votes.get(0).answer).isEqualTo("8443");
        assertThat(a.usage.tokensIn).isPositive();
        assertThat(a.latencyMs).containsKeys("retrieval", "total");
    }

    @Test
    void tenantsAreIsolated() {
        Answer globex = answers.get("q-globex-port");
        assertThat(globex.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(globex.answer).isEqualTo("9443");
        assertThat(globex.retrieved).allSatisfy(r -> assertThat(r.documentId).isEqualTo("globex-guide"));
        assertThat(answers.get("q-acme-port").retrieved)
                .allSatisfy(r -> assertThat(r.documentId).isEqualTo("manual-42"));
    }

    @Test
    void noContextForATenantWithoutDocuments() {
        Answer a = answers.get("q-nobody");
        assertThat(a.status).isEqualTo(Answer.Status.NO_CONTEXT);
        assertThat(a.candidates).isEmpty();
        assertThat(a.retrieved).isEmpty();
    }

    @Test
    void invalidQuestionsFailWithAReason() {
        assertThat(answers.get("q-bad-n").status).isEqualTo(Answer.Status.FAILED);
        assertThat(answers.get("q-bad-n").error).contains("n must be between");
        assertThat(answers.get("q-no-text").error).contains("missing text");
        assertThat(answers.get("q-bad-json").error).contains("invalid JSON");
        assertThat(answers.get("q-bad-strategy").error).contains("unknown strategy");
    }

    @Test
    void dragAndIterdragAnswer() {
        Answer drag = answers.get("q-drag");
        assertThat(drag.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(drag.answer).isEqualTo("5 times"); // the number with the unit the question asks about
        assertThat(drag.citations).extracting(c -> c.page).contains(30);
        Answer iter = answers.get("q-iter");
        assertThat(iter.status).isEqualTo(Answer.Status.ANSWERED);
        assertThat(iter.strategy).isEqualTo("ITERDRAG");
        // Decomposition, two follow-up answers and the final answer: more tokens than a single RAG call.
        Answer.Candidate ok = iter.candidates.stream().filter(c -> "OK".equals(c.status)).findFirst().orElseThrow();
        Answer.Candidate rag = answers.get("q-acme-port").candidates.stream()
                .filter(c -> "OK".equals(c.status)).findFirst().orElseThrow();
        assertThat(ok.tokensIn).isGreaterThan(2 * rag.tokensIn);
    }

    @Test
    void endpointFaultsStillProduceAnswersWithBoundedRetries() {
        List<Answer> answered = answers.values().stream()
                .filter(a -> a.status == Answer.Status.ANSWERED).collect(Collectors.toList());
        assertThat(answered).hasSize(4);
        for (Answer a : answered) {
            assertThat(a.candidates).filteredOn(c -> "flaky".equals(c.endpoint))
                    .allSatisfy(c -> assertThat(c.status).isEqualTo("ERROR"));
            assertThat(a.candidates).filteredOn(c -> "slow".equals(c.endpoint))
                    .allSatisfy(c -> assertThat(c.status).isEqualTo("TIMEOUT"));
            assertThat(a.candidates).filteredOn(c -> "limited".equals(c.endpoint))
                    .allSatisfy(c -> assertThat(c.status).isEqualTo("OK"));
        }
        // Round-robin gives each endpoint one of the 4 candidates of each of the 4 answered questions. A failing
        // candidate gives up after its first call: exactly 1 + MAX_RETRIES attempts, no more.
        assertThat(FLAKY.count(500)).isEqualTo(4 * (1 + MAX_RETRIES));
        assertThat(FLAKY.chatRequests()).isEqualTo(4 * (1 + MAX_RETRIES));
        // A timing-out candidate never exceeds the bound either; once the two OK answers and the flaky ERROR settle
        // the vote, its remaining attempts are aborted rather than made.
        assertThat(SLOW.chatRequests()).isBetween(4L, 4L * (1 + MAX_RETRIES));
        // The rate limiter's two 429s were retried after Retry-After and then succeeded (ITERDRAG makes 4 calls).
        assertThat(LIMITED.count(429)).isEqualTo(2);
        assertThat(LIMITED.count(200)).isGreaterThanOrEqualTo(4);
    }
}
