package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job against misbehaving endpoints (in-process model servers, real Kafka and OpenSearch): deadlines
 * counted from arrival, hedged calls that abort the slow loser, calls aborted once the vote is decided, and a
 * circuit breaker that sends candidates away from a failing endpoint.
 */
class EndpointResilienceITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static String alias;

    @BeforeAll
    static void index() throws Exception {
        alias = OPENSEARCH.uniqueName("it-resilience-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);
    }

    private static String question(String id, int n, long deadlineMs, Long askedAt) {
        return "{\"questionId\":\"" + id + "\",\"tenant\":\"acme\",\"text\":\"Which port does the admin UI use?\","
                + "\"n\":" + n + ",\"k\":1,\"deadlineMs\":" + deadlineMs
                + (askedAt == null ? "" : ",\"askedAt\":" + askedAt) + "}";
    }

    private static Configuration conf(String questions, String answers, String endpoints) {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answers);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.ENDPOINTS, endpoints);
        conf.set(QueryOptions.RETRY_BACKOFF, Duration.ofMillis(100));
        conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-resilience-" + UUID.randomUUID());
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        return conf;
    }

    /**
     * Runs the job, waits for a warm-up question (job start, embedding model, connections are not what is measured;
     * the clock of a question starts when it is produced), then sends the test questions and reads their answers.
     */
    private static Map<String, Answer> run(Configuration conf, String questions, String answersTopic,
                                           Runnable send, int expected) throws Exception {
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(2);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("resilience-itcase");
        List<ConsumerRecord<String, String>> records;
        try {
            KAFKA.send(questions, "warmup", question("warmup", 1, 120_000, null));
            KAFKA.readCommitted(answersTopic, r -> r.size() >= 1, Duration.ofMinutes(2));
            send.run();
            KAFKA.readCommitted(answersTopic, r -> r.size() >= expected + 1, Duration.ofMinutes(2));
            records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(2)); // duplicates would show
        } finally {
            job.cancel().get();
        }
        records.removeIf(r -> "warmup".equals(r.key()));
        records.forEach(r -> System.out.println("answer " + r.value()));
        Map<String, Long> perQuestion = records.stream()
                .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
        assertThat(perQuestion.values()).containsOnly(1L);
        return records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                .collect(Collectors.toMap(a -> a.questionId, Function.identity()));
    }

    @Test
    void deadlinesCountFromArrivalAndSlowCallsAreHedgedAndAborted() throws Exception {
        // "slow" answers only after 5 s; with a 400 ms hedge delay each of its candidates gets a spare call on the
        // healthy endpoint, which wins, and the slow request is aborted.
        try (LocalModelServer healthy = LocalModelServer.startLocal(Faults.parse("latency=50"));
             LocalModelServer slow = LocalModelServer.startLocal(Faults.parse("latency=5000"))) {
            String questions = KAFKA.createTopic("it-resilience-q", 1);
            String answersTopic = KAFKA.createTopic("it-resilience-a", 1);
            Runnable send = () -> {
                long now = System.currentTimeMillis();
                for (int i = 0; i < 4; i++) {
                    KAFKA.send(questions, "h-" + i, question("h-" + i, 2, 20_000, null));
                }
                // Asked 8 s ago with a 20 s deadline: 12 s left, and latencyMs.total counts the 8 s.
                KAFKA.send(questions, "asked-earlier", question("asked-earlier", 2, 20_000, now - 8_000));
                // Asked 30 s ago with a 20 s deadline: over before the job read it.
                KAFKA.send(questions, "expired", question("expired", 2, 20_000, now - 30_000));
            };
            Configuration conf = conf(questions, answersTopic, String.join(";",
                    "healthy=openai," + healthy.baseUrl() + ",extractive,4,1.0,10000",
                    "slow=openai," + slow.baseUrl() + ",extractive,4,1.0,10000"));
            conf.set(QueryOptions.HEDGE_DELAY, Duration.ofMillis(400));
            conf.set(QueryOptions.HEDGE_MAX_EXTRA, 1.0); // up to one spare call per candidate (n=2)

            Map<String, Answer> answers = run(conf, questions, answersTopic, send, 6);

            assertThat(answers).hasSize(6);
            Answer expired = answers.get("expired");
            assertThat(expired.status).isEqualTo(Answer.Status.FAILED);
            assertThat(expired.error).contains("deadline passed before the question was read");
            Answer earlier = answers.get("asked-earlier");
            assertThat(earlier.latencyMs.get("total")).isBetween(8_000L, 20_000L);
            for (int i = 0; i < 4; i++) {
                Answer a = answers.get("h-" + i);
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.usage.hedgedCalls).isBetween(0, 2); // the per-question budget
                // Never waited for the 5 s endpoint: hedged after 400 ms, or decided without it.
                assertThat(a.latencyMs.get("total")).isLessThan(5_000L);
            }
            int hedged = answers.values().stream().mapToInt(a -> a.usage.hedgedCalls).sum();
            assertThat(hedged).isPositive();
            // The slow server sees the hedged-out requests go away (it counts them when its answer cannot be
            // delivered, i.e. once its 5 s are up): every request it got was aborted, none answered.
            long until = System.currentTimeMillis() + 15_000;
            while (slow.inFlight() > 0 && System.currentTimeMillis() < until) {
                Thread.sleep(100);
            }
            System.out.println("slow endpoint stats: " + slow.statsJson());
            assertThat(slow.chatRequests()).isPositive();
            assertThat(slow.aborted()).isEqualTo(slow.chatRequests());
        }
    }

    @Test
    void anOpenBreakerSendsCandidatesToTheHealthyEndpoint() throws Exception {
        try (LocalModelServer healthy = LocalModelServer.startLocal(new Faults());
             LocalModelServer failing = LocalModelServer.startLocal(Faults.parse("error=1.0"))) {
            String questions = KAFKA.createTopic("it-breaker-q", 1);
            String answersTopic = KAFKA.createTopic("it-breaker-a", 1);
            int total = 12;
            Runnable send = () -> {
                for (int i = 0; i < total; i++) {
                    KAFKA.send(questions, "b-" + i, question("b-" + i, 4, 30_000, null));
                }
            };
            Configuration conf = conf(questions, answersTopic, String.join(";",
                    "healthy=openai," + healthy.baseUrl() + ",extractive,4,1.0,5000",
                    "failing=openai," + failing.baseUrl() + ",extractive,4,1.0,5000"));
            conf.set(QueryOptions.HEDGE_ENABLED, false);
            conf.set(QueryOptions.BREAKER_MINIMUM_CALLS, 4);
            conf.set(QueryOptions.BREAKER_WINDOW, 4);
            conf.set(QueryOptions.BREAKER_OPEN_DURATION, Duration.ofMinutes(5)); // stays open for the whole test

            Map<String, Answer> answers = run(conf, questions, answersTopic, send, total);

            assertThat(answers.values()).allSatisfy(a -> {
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
            });
            // Without the breaker the failing endpoint would get 2 of every 4 candidates, 3 attempts each: 72 calls.
            // It opens after 4 failed calls per TaskManager; later candidates are routed to the healthy endpoint.
            System.out.println("failing endpoint stats: " + failing.statsJson());
            assertThat(failing.chatRequests()).isLessThanOrEqualTo(12);
            long servedByHealthy = answers.values().stream().flatMap(a -> a.candidates.stream())
                    .filter(c -> "healthy".equals(c.endpoint) && "OK".equals(c.status)).count();
            assertThat(servedByHealthy).isGreaterThan(2L * total);
        }
    }
}
