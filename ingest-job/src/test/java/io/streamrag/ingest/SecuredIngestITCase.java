package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.LogCapture;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.common.testing.SecureServices;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch.core.search.Hit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest job as deployed ({@link IngestJob#fromConfiguration}) against the secured Kafka (SASL_SSL, SCRAM) and
 * the secured OpenSearch (HTTPS, basic auth): a document is indexed, a bad event is dead-lettered, and no password
 * shows in the logs or the Flink REST views of the job's configuration.
 */
class SecuredIngestITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = KafkaExtension.secured();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = OpenSearchExtension.secured();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @Test
    void indexesAndDeadLettersOverTlsWithCredentials(@InjectClusterClient ClusterClient<?> cluster) throws Exception {
        String documents = KAFKA.createTopic("secured-documents", 1);
        String dlq = KAFKA.createTopic("secured-documents-dlq", 1);
        String alias = OPENSEARCH.uniqueName("secured-chunks");
        Configuration conf = KAFKA.clientConf();
        conf.addAll(OPENSEARCH.clientConf());
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        // Both sinks are transactional: their own outcomes topic and transactional ids (the broker auto-creates nothing).
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, KAFKA.createTopic("secured-documents-outcomes", 1));
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "secured-ingest-" + UUID.randomUUID());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(IngestOptions.GROUP_ID, "secured-ingest-" + UUID.randomUUID());
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));

        try (LogCapture logs = LogCapture.start()) {
            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            conf.set(IngestOptions.PARALLELISM, 1);
            conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            IngestJob.configure(env, conf);
            // As a deployment passing its options as job parameters: the REST API then shows them.
            env.getConfig().setGlobalJobParameters(conf);
            IngestJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("secured-ingest-itcase");
            try {
                ObjectNode event = Json.MAPPER.createObjectNode();
                event.put("documentId", "secured-notes").put("tenant", "acme").put("version", 1).put("op", "UPSERT")
                        .put("contentType", "text/markdown")
                        .put("contentBase64", Base64.getEncoder().encodeToString(
                                "# Vault\n\nThe vault rotates its keys every 30 days.".getBytes(StandardCharsets.UTF_8)));
                KAFKA.send(documents, "secured-notes", Json.toString(event));
                KAFKA.send(documents, "garbage", "{not json");

                await(Duration.ofMinutes(3), () -> !chunks(alias).isEmpty());
                assertThat(chunks(alias)).allSatisfy(c -> {
                    assertThat(c.tenant).isEqualTo("acme");
                    assertThat(c.embedding).hasSize(384);
                }).extracting(c -> c.text).anySatisfy(t -> assertThat(t).contains("rotates its keys"));
                List<ConsumerRecord<String, String>> dead = KAFKA.readCommitted(dlq, r -> !r.isEmpty(), Duration.ofSeconds(60));
                assertThat(dead).extracting(ConsumerRecord::key).contains("garbage");

                String views = SecureServices.assertJobConfigHasNoSecret(
                        cluster.getWebInterfaceURL(), job.getJobID().toString());
                assertThat(views).contains("kafka.sasl.password-file");   // the configuration is shown, its secrets are not
            } finally {
                job.cancel().get();
            }
            assertThat(logs.events()).anyMatch(e -> e.contains("sasl.jaas.config = [hidden]"));
            logs.events().forEach(e -> SecureServices.assertNoSecret("log event", e));
        }
    }

    private static List<Chunk> chunks(String alias) {
        try {
            OPENSEARCH.refresh(alias);
            return OPENSEARCH.client().search(s -> s.index(alias).size(100)
                                    .query(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of("secured-notes")))),
                            Chunk.class)
                    .hits().hits().stream().map(Hit::source).collect(Collectors.toList());
        } catch (Exception e) {
            return List.of();   // the index is created by the job's first write
        }
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Condition not met within " + timeout);
            }
            Thread.sleep(500);
        }
    }
}
