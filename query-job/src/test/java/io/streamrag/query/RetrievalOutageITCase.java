package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.net.LoopbackProxy;
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

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OpenSearch goes away (a {@link LoopbackProxy} in front of the shared node refuses connections) while questions
 * arrive: those whose deadline outlasts the outage are answered once it is back, the others FAIL with reason
 * "retrieval unavailable"; none is answered twice.
 */
class RetrievalOutageITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static String question(String id, long deadlineMs) {
        return "{\"questionId\":\"" + id + "\",\"tenant\":\"acme\",\"text\":\"Which port does the admin UI use?\","
                + "\"n\":2,\"k\":1,\"deadlineMs\":" + deadlineMs + "}";
    }

    @Test
    void questionsAskedDuringAnOutageAreAnsweredWhenItEndsIfTheirDeadlineAllows() throws Exception {
        String alias = OPENSEARCH.uniqueName("it-outage-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);
        String questions = KAFKA.createTopic("it-outage-questions", 1);
        String answersTopic = KAFKA.createTopic("it-outage-answers", 1);
        int patient = 8;
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults());
             LoopbackProxy proxy = LoopbackProxy.start(URI.create(OPENSEARCH.url()).getPort())) {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
            conf.set(StreamRagOptions.OPENSEARCH_URL, proxy.httpUrl());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,4");
            conf.set(QueryOptions.RETRY_BACKOFF, Duration.ofMillis(200));
            conf.set(QueryOptions.RETRY_MAX_BACKOFF, Duration.ofMillis(1_000));
            conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-outage-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));

            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            env.setParallelism(2);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("outage-itcase");
            List<ConsumerRecord<String, String>> records;
            try {
                KAFKA.send(questions, "warmup", question("warmup", 120_000));
                KAFKA.readCommitted(answersTopic, r -> r.size() >= 1, Duration.ofMinutes(2));

                proxy.mode(LoopbackProxy.Mode.DOWN);
                for (int i = 0; i < patient; i++) {
                    KAFKA.send(questions, "patient-" + i, question("patient-" + i, 30_000));
                }
                KAFKA.send(questions, "hasty", question("hasty", 3_000));
                // The hasty question's deadline passes during the outage: it fails with the reason.
                List<ConsumerRecord<String, String>> during = KAFKA.readCommitted(answersTopic,
                        r -> r.stream().anyMatch(x -> "hasty".equals(x.key())), Duration.ofSeconds(30));
                assertThat(during).extracting(ConsumerRecord::key).doesNotContain("patient-0");
                Thread.sleep(2_000); // the outage lasts ~6 s in all
                proxy.mode(LoopbackProxy.Mode.UP);

                KAFKA.readCommitted(answersTopic, r -> r.size() >= patient + 2, Duration.ofMinutes(1));
                records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(2));
            } finally {
                job.cancel().get();
            }
            records.forEach(r -> System.out.println("answer " + r.value()));
            Map<String, Long> perQuestion = records.stream()
                    .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertThat(perQuestion).hasSize(patient + 2);
            assertThat(perQuestion.values()).containsOnly(1L);
            Map<String, Answer> answers = records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                    .collect(Collectors.toMap(a -> a.questionId, Function.identity()));
            Answer hasty = answers.get("hasty");
            assertThat(hasty.status).isEqualTo(Answer.Status.FAILED);
            assertThat(hasty.error).startsWith("retrieval unavailable");
            for (int i = 0; i < patient; i++) {
                Answer a = answers.get("patient-" + i);
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.latencyMs.get("retrieval")).isGreaterThan(3_000L); // it waited for the outage to end
            }
        }
    }
}
