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
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
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
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stop-with-savepoint while questions are mid-vote and candidates in flight, restore a new job from it: every
 * question still gets exactly one committed answer (vote state, async in-flight requests, offsets, transactions).
 */
class RestoreFromSavepointITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void exactlyOneAnswerPerQuestionAcrossARestore(@TempDir Path savepoints) throws Exception {
        String alias = OPENSEARCH.uniqueName("it-restore-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);

        String questions = KAFKA.createTopic("it-restore-questions", 1);
        String answersTopic = KAFKA.createTopic("it-restore-answers", 1);
        int total = 8;
        for (int i = 0; i < total; i++) {
            KAFKA.send(questions, "qr-" + i, "{\"questionId\":\"qr-" + i + "\",\"tenant\":\"acme\","
                    + "\"text\":\"Which port does the admin UI use?\",\"n\":4}");
        }

        // Slow endpoint, small cap: questions finish one after another over several seconds.
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=700"))) {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
            conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,2");
            conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-restore-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));

            JobClient first = start(conf, null);
            String savepoint;
            try {
                KAFKA.readCommitted(answersTopic, r -> r.size() >= 1, Duration.ofMinutes(2));
            } finally {
                savepoint = first.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get();
            }
            int beforeRestore = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(1)).size();
            System.out.println("answers committed before the restore: " + beforeRestore + " of " + total);
            assertThat(beforeRestore).isBetween(1, total - 1); // really stopped mid-stream

            JobClient second = start(conf, savepoint);
            List<ConsumerRecord<String, String>> records;
            try {
                KAFKA.readCommitted(answersTopic, r -> r.size() >= total, Duration.ofMinutes(2));
                records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(3));
            } finally {
                second.cancel().get();
            }
            Map<String, Long> perQuestion = records.stream()
                    .collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
            assertThat(perQuestion).hasSize(total);
            assertThat(perQuestion.values()).containsOnly(1L);
            assertThat(records).allSatisfy(r ->
                    assertThat(Json.fromString(r.value(), Answer.class).answer).isEqualTo("8443"));
        }
    }

    private static JobClient start(Configuration conf, String savepoint) throws Exception {
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        if (savepoint != null) {
            envConf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(1);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        return env.executeAsync("restore-itcase");
    }
}
