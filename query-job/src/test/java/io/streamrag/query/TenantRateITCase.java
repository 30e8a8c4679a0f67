package io.streamrag.query;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.model.testing.LocalModelServerExtension;

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
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole query job with a rate per tenant ({@code query.tenant.*}): one tenant floods the questions topic, and its
 * questions past its bucket and queue are answered FAILED at once while those that waited are answered in turn; the
 * other tenant's questions, behind the flood in the topic, are answered as if it were alone. Every question gets
 * exactly one answer.
 */
class TenantRateITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @RegisterExtension
    static final LocalModelServerExtension MODEL = new LocalModelServerExtension();

    static final int FLOOD = 10;

    @Test
    void aFloodingTenantWaitsOrIsRefusedWhileTheOtherIsAnswered() throws Exception {
        String alias = OPENSEARCH.uniqueName("it-rate-chunks");
        TestChunks.index(OPENSEARCH, alias, new String[][] {
            {"flood", "manual-1", "17", "The admin UI listens on port 8443 over HTTPS."},
            {"quiet", "manual-2", "17", "The admin UI listens on port 9443 over HTTPS."},
        });
        String questions = KAFKA.createTopic("it-rate-questions", 1);
        String answersTopic = KAFKA.createTopic("it-rate-answers", 1);
        String ask = ",\"text\":\"Which port does the admin UI use?\",\"n\":1,\"deadlineMs\":60000}";
        for (int i = 0; i < FLOOD; i++) {
            KAFKA.send(questions, "f" + i, "{\"questionId\":\"f" + i + "\",\"tenant\":\"flood\"" + ask);
        }
        for (int i = 0; i < 2; i++) {
            KAFKA.send(questions, "q" + i, "{\"questionId\":\"q" + i + "\",\"tenant\":\"quiet\"" + ask);
        }

        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.QUESTIONS_TOPIC, questions);
        conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(QueryOptions.ENDPOINTS, "local=openai," + MODEL.baseUrl() + ",extractive,8");
        // Two candidates at once, then one every 2 s; two questions may wait: of ten read at once, six are refused.
        conf.set(QueryOptions.TENANT_CANDIDATE_RATE, 0.5);
        conf.set(QueryOptions.TENANT_BURST, 2);
        conf.set(QueryOptions.TENANT_MAX_WAITING, 2);
        conf.set(QueryOptions.SOURCE_GROUP_ID, "it-" + UUID.randomUUID());
        conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "it-rate-" + UUID.randomUUID());
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(2);
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("tenant-rate-itcase");
        List<ConsumerRecord<String, String>> records;
        try {
            records = KAFKA.readCommitted(answersTopic, r -> r.size() >= FLOOD + 2, Duration.ofMinutes(2));
        } finally {
            job.cancel().get();
        }
        List<Answer> answers = records.stream().map(r -> Json.fromString(r.value(), Answer.class)).collect(Collectors.toList());
        assertThat(answers).extracting(a -> a.tenant + "/" + a.questionId).doesNotHaveDuplicates().hasSize(FLOOD + 2);

        Map<String, List<Answer>> quiet = answers.stream().filter(a -> a.tenant.equals("quiet"))
                .collect(Collectors.groupingBy(a -> a.status.name()));
        assertThat(quiet.get("ANSWERED")).hasSize(2).allSatisfy(a -> assertThat(a.answer).isEqualTo("9443"));

        List<Answer> flood = answers.stream().filter(a -> a.tenant.equals("flood")).collect(Collectors.toList());
        List<Answer> answered = flood.stream().filter(a -> a.status == Answer.Status.ANSWERED).collect(Collectors.toList());
        List<Answer> refused = flood.stream().filter(a -> a.status == Answer.Status.FAILED).collect(Collectors.toList());
        assertThat(answered).allSatisfy(a -> assertThat(a.answer).isEqualTo("8443"));
        // The bucket and the queue at least (the source may read the ten over a little time, when the bucket refills).
        assertThat(answered.size()).isGreaterThanOrEqualTo(4);
        assertThat(refused).isNotEmpty().allSatisfy(a -> assertThat(a.error).contains("tenant over its rate"));
        assertThat(answered.size() + refused.size()).isEqualTo(FLOOD);
    }
}
