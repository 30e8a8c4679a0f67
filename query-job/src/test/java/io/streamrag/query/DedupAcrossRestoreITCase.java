package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Exactly one answer per questionId" across a stop, a pause and a restore: a question answered before a
 * stop-with-savepoint and re-sent after the restore gets no second answer with the default dedup TTL (7 days). The
 * control restores the same savepoint with a TTL shorter than the pause and does see the second answer, so the pause
 * really outlasted the window there (the old default window, 10 minutes, is covered with a controlled state clock in
 * {@code OneAnswerPerQuestionTest}).
 */
class DedupAcrossRestoreITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final String QUESTION = "{\"questionId\":\"%s\",\"tenant\":\"acme\","
            + "\"text\":\"Which port does the admin UI use?\",\"n\":2,\"k\":1}";

    @Test
    void aReSentQuestionIdGetsNoSecondAnswerAfterARestore(@TempDir Path savepoints) throws Exception {
        String alias = OPENSEARCH.uniqueName("it-dedup-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT);
        String questions = KAFKA.createTopic("it-dedup-questions", 1);
        String firstAnswers = KAFKA.createTopic("it-dedup-answers-first", 1);
        try (LocalModelServer server = LocalModelServer.startLocal(new Faults())) {
            Configuration conf = new Configuration();
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
            conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + server.baseUrl() + ",extractive,2");
            conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));

            KAFKA.send(questions, "d-1", String.format(QUESTION, "d-1"));
            Configuration first = answersTo(conf, firstAnswers);
            JobClient job = start(first, null);
            String savepoint;
            try {
                assertThat(KAFKA.readCommitted(firstAnswers, r -> r.size() >= 1, Duration.ofMinutes(2))).hasSize(1);
            } finally {
                savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get();
            }
            long stoppedAt = System.currentTimeMillis();

            // The question is re-sent while the job is down, with a fresh one as a marker that the job got past it.
            KAFKA.send(questions, "d-1", String.format(QUESTION, "d-1"));
            KAFKA.send(questions, "d-2", String.format(QUESTION, "d-2"));
            Thread.sleep(Math.max(0, stoppedAt + 3_000 - System.currentTimeMillis())); // the pause: 3 s

            // Control: a 1 s window (shorter than the pause) forgets d-1 and answers it again.
            Configuration shortWindow = answersTo(conf, KAFKA.createTopic("it-dedup-answers-short", 1));
            shortWindow.set(QueryOptions.DEDUP_TTL, Duration.ofSeconds(1));
            assertThat(keysAfterRestore(shortWindow, savepoint)).containsExactlyInAnyOrder("d-1", "d-2");

            // The default window (7 days) remembers d-1 across the stop, the pause and the restore.
            Configuration defaults = answersTo(conf, KAFKA.createTopic("it-dedup-answers-default", 1));
            assertThat(defaults.get(QueryOptions.DEDUP_TTL)).isGreaterThanOrEqualTo(Duration.ofDays(7));
            assertThat(keysAfterRestore(defaults, savepoint)).containsExactly("d-2");
        }
    }

    private static Configuration answersTo(Configuration base, String topic) {
        Configuration c = new Configuration(base);
        c.set(StreamRagOptions.ANSWERS_TOPIC, topic);
        c.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-dedup-" + UUID.randomUUID());
        return c;
    }

    /** Restores {@code savepoint}, waits for d-2's answer and a quiet spell, returns the keys answered. */
    private static List<String> keysAfterRestore(Configuration conf, String savepoint) throws Exception {
        String topic = conf.get(StreamRagOptions.ANSWERS_TOPIC);
        JobClient job = start(conf, savepoint);
        try {
            KAFKA.readCommitted(topic, r -> r.stream().anyMatch(x -> "d-2".equals(x.key())), Duration.ofMinutes(2));
            return KAFKA.readAllCommitted(topic, Duration.ofSeconds(3)).stream().map(ConsumerRecord::key)
                    .collect(java.util.stream.Collectors.toList());
        } finally {
            job.cancel().get();
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
        return env.executeAsync("dedup-itcase");
    }
}
