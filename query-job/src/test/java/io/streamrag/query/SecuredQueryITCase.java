package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.LogCapture;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.common.testing.SecureServices;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;

import org.apache.flink.client.program.ClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectClusterClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The query job as deployed ({@link QueryJob#fromConfiguration}) against the secured Kafka (SASL_SSL, SCRAM; the
 * exactly-once answer sink's transactions included) and the secured OpenSearch (HTTPS, basic auth): a question is
 * answered with a citation, and no password shows in the logs or the Flink REST views of the job's configuration.
 */
class SecuredQueryITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = KafkaExtension.secured();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = OpenSearchExtension.secured();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void answersOverTlsWithCredentials(@InjectClusterClient ClusterClient<?> cluster) throws Exception {
        String alias = OPENSEARCH.uniqueName("secured-query-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);
        String questions = KAFKA.createTopic("secured-questions", 1);
        String answers = KAFKA.createTopic("secured-answers", 1);

        try (LocalModelServer model = LocalModelServer.startLocal(new Faults()); LogCapture logs = LogCapture.start()) {
            Configuration conf = KAFKA.clientConf();
            conf.addAll(OPENSEARCH.clientConf());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answers);
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + model.baseUrl() + ",extractive,2,1.0,5000");
            conf.set(QueryOptions.SOURCE_GROUP_ID, "secured-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "secured-query-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));

            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            env.setParallelism(1);
            // As a deployment passing its options as job parameters: the REST API then shows them.
            env.getConfig().setGlobalJobParameters(conf);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("secured-query-itcase");
            try {
                KAFKA.send(questions, "q-secured", "{\"questionId\":\"q-secured\",\"tenant\":\"acme\","
                        + "\"text\":\"Which port does the admin UI use?\",\"n\":2,\"k\":3}");
                List<ConsumerRecord<String, String>> records =
                        KAFKA.readCommitted(answers, r -> !r.isEmpty(), Duration.ofMinutes(2));
                assertThat(records).hasSize(1);
                Answer answer = Json.fromString(records.get(0).value(), Answer.class);
                assertThat(answer.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(answer.answer).isEqualTo("8443");
                assertThat(answer.citations).extracting(c -> c.documentId).contains("manual-42");

                String views = SecureServices.assertJobConfigHasNoSecret(
                        cluster.getWebInterfaceURL(), job.getJobID().toString());
                assertThat(views).contains("opensearch.password-file");   // the configuration is shown, its secrets are not
            } finally {
                job.cancel().get();
            }
            assertThat(logs.events()).anyMatch(e -> e.contains("sasl.jaas.config = [hidden]"));
            logs.events().forEach(e -> SecureServices.assertNoSecret("log event", e));
        }
    }
}
