package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.pipeline.IngestSinks;
import io.streamrag.ingest.records.RawDocument;
import io.streamrag.ingest.testing.PoisonDocuments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The poison set streamed between ordinary documents, restarts disabled: every crafted PDF is dead-lettered once
 * as LimitExceeded naming its limit, every ordinary document is indexed, the job stays up. The test JVM's heap is
 * the TaskManager's ({@code test.jvm.args}, -Xmx1536m; the figures in the note were taken at -Xmx1g).
 */
class PoisonSetITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @TempDir
    Path dir;

    @Test
    void poisonDocumentsAreDeadLetteredOnceAndOrdinaryOnesIndexed() throws Exception {
        String documents = KAFKA.createTopic("poison-documents", 2);
        String dlq = KAFKA.createTopic("poison-dlq", 1);
        String outcomes = KAFKA.createTopic("poison-outcomes", 1);
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // any task failure fails the test
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, OPENSEARCH.uniqueName("poison"));
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "poison-itcase-" + outcomes);
        conf.set(IngestOptions.ALLOWED_ROOTS, dir.toString());
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));
        conf.set(IngestOptions.LIMITS_PDF_MAX_STORAGE, MemorySize.parse("64m")); // default 512m; a smaller bomb keeps the test short

        // The big ones go by file:// reference (as producers of large documents would), the rest inline.
        Map<String, String> poison = new LinkedHashMap<>();
        poison.put("page-bomb", "ingest.limits.max-render-pixels");
        poison.put("compressed-bomb", "ingest.limits.pdf-max-storage");
        poison.put("nested-forms", "ingest.limits.max-form-depth");
        poison.put("lying-image", "ingest.limits.max-image-pixels");
        poison.put("ten-thousand-pages", "ingest.limits.max-pages");
        Files.write(dir.resolve("page-bomb.pdf"), PoisonDocuments.pageBomb());
        Files.write(dir.resolve("compressed-bomb.pdf"), PoisonDocuments.hugeCompressedStream(160L << 20));
        Files.write(dir.resolve("nested-forms.pdf"), PoisonDocuments.deeplyNestedForms(5000));
        Files.write(dir.resolve("lying-image.pdf"), PoisonDocuments.lyingImage(30_000));
        Files.write(dir.resolve("ten-thousand-pages.pdf"), PoisonDocuments.manyPages(10_000));

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("poison-" + documents)
                .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
        conf.set(IngestOptions.PARALLELISM, 2);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, IngestSinks.deadLetterSink(conf), IngestSinks.outcomeSink(conf), conf, -1).build(env);
        JobClient job = env.executeAsync("poison-set-itcase");
        List<String> ordinary = new ArrayList<>();
        try {
            int n = 0;
            for (String id : poison.keySet()) {
                for (int i = 0; i < 2; i++) {
                    ordinary.add(sendText(documents, "ordinary-" + n++));
                }
                send(documents, event(id).put("contentType", "application/pdf").put("uri", dir.resolve(id + ".pdf").toUri().toString()));
            }
            ordinary.add(sendText(documents, "ordinary-" + n));

            int total = ordinary.size() + poison.size();
            KAFKA.readCommitted(outcomes, r -> r.size() >= total, Duration.ofMinutes(5));
            List<IngestOutcome> all = KAFKA.readAllCommitted(outcomes, Duration.ofSeconds(3)).stream()
                    .map(r -> Json.fromString(r.value(), IngestOutcome.class)).collect(Collectors.toList());
            assertThat(all).hasSize(total);
            assertThat(all).filteredOn(o -> o.outcome == Outcome.INDEXED).extracting(o -> o.documentId)
                    .containsExactlyInAnyOrderElementsOf(ordinary);

            List<DeadLetter> dead = KAFKA.readAllCommitted(dlq, Duration.ofSeconds(2)).stream()
                    .map(r -> Json.fromString(r.value(), DeadLetter.class)).collect(Collectors.toList());
            assertThat(dead).extracting(d -> d.documentId).containsExactlyInAnyOrderElementsOf(poison.keySet());
            for (DeadLetter d : dead) {
                assertThat(d.stage + "/" + d.error).as(d.documentId).isEqualTo("extract/LimitExceeded");
                assertThat(d.message).as(d.documentId).contains(poison.get(d.documentId));
            }
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }

    private static ObjectNode event(String id) {
        return Json.MAPPER.createObjectNode().put("documentId", id).put("tenant", "acme").put("version", 1).put("op", "UPSERT");
    }

    private static void send(String topic, ObjectNode event) {
        KAFKA.send(topic, event.get("documentId").asText(), Json.toString(event));
    }

    private static String sendText(String topic, String id) {
        send(topic, event(id).put("contentType", "text/plain").put("contentBase64",
                Base64.getEncoder().encodeToString(("Note " + id + ": the drain plug is tightened to 25 newton metres.").getBytes())));
        return id;
    }
}
