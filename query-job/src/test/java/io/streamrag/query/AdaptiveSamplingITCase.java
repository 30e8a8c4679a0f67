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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** With {@code query.adaptive=true} the job asks for candidates in waves and stops once the vote is settled. */
class AdaptiveSamplingITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void stopsEarlyAndReportsSavedCalls() throws Exception {
        String alias = OPENSEARCH.uniqueName("it-adaptive-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);

        String questions = KAFKA.createTopic("it-adaptive-questions", 1);
        String answersTopic = KAFKA.createTopic("it-adaptive-answers", 1);
        for (int i = 0; i < 3; i++) {
            KAFKA.send(questions, "qa-" + i, "{\"questionId\":\"qa-" + i + "\",\"tenant\":\"acme\","
                    + "\"text\":\"Which port does the admin UI use?\",\"n\":16}");
        }

        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
            conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,4");
            conf.set(QueryOptions.ADAPTIVE, true);
            conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-adaptive-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));

            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            env.setParallelism(1);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("adaptive-itcase");
            List<ConsumerRecord<String, String>> records;
            try {
                KAFKA.readCommitted(answersTopic, r -> r.size() >= 3, Duration.ofMinutes(2));
                records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(2));
            } finally {
                job.cancel().get();
            }
            List<Answer> answers = records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                    .collect(Collectors.toList());
            assertThat(answers).hasSize(3);
            long requested = 0;
            for (Answer a : answers) {
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.usage.candidatesRequested + a.usage.candidatesSaved).isEqualTo(16);
                assertThat(a.usage.candidatesSaved).isGreaterThanOrEqualTo(8);
                assertThat(a.candidates).hasSize(a.usage.candidatesRequested);
                requested += a.usage.candidatesRequested;
            }
            // Calls not asked for were really not made.
            assertThat(server.chatRequests()).isEqualTo(requested);
        }
    }
}
