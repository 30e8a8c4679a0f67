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
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job against each way of talking to a model: OpenAI's {@code n} (one request per question), Ollama's
 * {@code /api/chat} (langchain4j's Ollama provider) and watsonx.ai's {@code /ml/v1/text/chat} (langchain4j's watsonx
 * provider), all served by the local model server. Every question is sent twice: one answer, and the requests of one copy.
 */
class ProvidersITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final int QUESTIONS = 3;
    private static final int N = 8;

    @Test
    void nCandidatesInOneRequestPerQuestionWithThePromptCountedOnce() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            List<Answer> answers = run("n", port -> "local=openai,http://127.0.0.1:" + port + "/v1,extractive,4,1.0,"
                    + "30000,,16", server);
            assertThat(server.chatRequests()).isEqualTo(QUESTIONS);
            for (Answer a : answers) {
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.candidates).hasSize(N);
                assertThat(a.usage.candidatesSucceeded).isEqualTo(N);
                // One copy of the prompt: all prompt tokens sit on one candidate.
                assertThat(a.candidates.stream().filter(c -> c.tokensIn > 0).count()).isEqualTo(1);
                assertThat(a.usage.tokensIn).isPositive();
            }
        }
    }

    @Test
    void ollamaProviderEndToEnd() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            List<Answer> answers = run("ollama", port -> "local=ollama,http://127.0.0.1:" + port + ",extractive,4", server);
            long heard = 0;
            for (Answer a : answers) {
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                // The vote answers once the outstanding candidates cannot change it: at least a majority.
                assertThat(a.candidates.size()).isGreaterThan(N / 2);
                assertThat(a.candidates).allMatch(c -> "OK".equals(c.status) && c.tokensIn > 0 && c.tokensOut > 0);
                assertThat(a.citations).isNotEmpty();
                heard += a.candidates.size();
            }
            assertThat(server.chatRequests()).isBetween(heard, (long) QUESTIONS * N);
        }
    }

    @Test
    void watsonxProviderEndToEnd() throws Exception {
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            List<Answer> answers = run("watsonx", port -> "local=watsonx,http://127.0.0.1:" + port
                    + "?project_id=it-project,ibm/granite-3-8b-instruct,4", server);
            long heard = 0;
            for (Answer a : answers) {
                assertThat(a.status).isEqualTo(Answer.Status.ANSWERED);
                assertThat(a.answer).isEqualTo("8443");
                assertThat(a.candidates.size()).isGreaterThan(N / 2);
                assertThat(a.candidates).allMatch(c -> "OK".equals(c.status) && c.tokensIn > 0 && c.tokensOut > 0
                        && "ibm/granite-3-8b-instruct".equals(c.model));
                assertThat(a.citations).isNotEmpty();
                heard += a.candidates.size();
            }
            assertThat(server.chatRequests()).isBetween(heard, (long) QUESTIONS * N);
        }
    }

    private List<Answer> run(String name, Function<Integer, String> endpoints, LocalModelServer server)
            throws Exception {
        String alias = OPENSEARCH.uniqueName("it-providers-" + name);
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);
        String questions = KAFKA.createTopic("it-providers-" + name + "-questions", 1);
        String answersTopic = KAFKA.createTopic("it-providers-" + name + "-answers", 1);
        // Each question sent twice, as a producer retrying a send does: the copy is dropped before it costs a request.
        for (int copy = 0; copy < 2; copy++) {
            for (int i = 0; i < QUESTIONS; i++) {
                KAFKA.send(questions, "qp-" + i, "{\"questionId\":\"qp-" + name + "-" + i + "\",\"tenant\":\"acme\","
                        + "\"text\":\"Which port does the admin UI use?\",\"n\":" + N + "}");
            }
        }
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.ENDPOINTS, endpoints.apply(server.port()));
        conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-providers-" + UUID.randomUUID());
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));

        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(1);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("providers-itcase-" + name);
        List<ConsumerRecord<String, String>> records;
        try {
            KAFKA.readCommitted(answersTopic, r -> r.size() >= QUESTIONS, Duration.ofMinutes(2));
            records = KAFKA.readAllCommitted(answersTopic, Duration.ofSeconds(2));
        } finally {
            job.cancel().get();
        }
        List<Answer> answers = records.stream().map(r -> Json.fromString(r.value(), Answer.class))
                .collect(Collectors.toList());
        assertThat(answers).hasSize(QUESTIONS);
        return answers;
    }
}
