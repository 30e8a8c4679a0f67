package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.io.kafka.DeadLetterSerializer;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;
import io.streamrag.ingest.testing.CollectingSink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole ingest job on a Kafka topic with a rate per tenant ({@code ingest.tenant.*}): one tenant floods the
 * documents topic, and its documents past its bucket and queue are dead-lettered {@code admit/TenantOverRate} (the
 * event kept, for the producer to send again) while those that waited are indexed in turn; the other tenant's
 * documents, behind the flood in the topic, are indexed. Every event ends as exactly one outcome.
 */
class TenantRateITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    static final int FLOOD = 10;
    static final int QUIET = 2;

    @Test
    void aFloodingTenantWaitsOrIsDeadLetteredWhileTheOtherIsIndexed() throws Exception {
        String documents = KAFKA.createTopic("it-rate-documents", 1);
        String dlq = KAFKA.createTopic("it-rate-dlq", 1);
        for (int i = 0; i < FLOOD; i++) {
            send(documents, upsert("flood", "manual-" + i, "Flood corp manual " + i + ": the pump runs at 40 litres per minute."));
        }
        for (int i = 0; i < QUIET; i++) {
            send(documents, upsert("quiet", "guide-" + i, "Quiet corp guide " + i + ": the pump runs at 90 litres per minute."));
        }

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, OPENSEARCH.uniqueName("it-rate-chunks"));
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));
        // Two documents at once, then one every 2 s; two may wait: of ten read at once, six are dead-lettered.
        conf.set(IngestOptions.TENANT_DOCUMENT_RATE, 0.5);
        conf.set(IngestOptions.TENANT_BURST, 2);
        conf.set(IngestOptions.TENANT_MAX_WAITING, 2);
        conf.set(IngestOptions.PARALLELISM, 2);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("it-" + UUID.randomUUID())
                .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
        KafkaSink<FailedDocument> dlqSink = KafkaSink.<FailedDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setRecordSerializer(new DeadLetterSerializer(dlq))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
        CollectingSink<DocumentOutcome> outcomes = new CollectingSink<>();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, dlqSink, outcomes, conf, -1).build(env);
        JobClient job = env.executeAsync("tenant-rate-itcase");
        List<DocumentOutcome> ended;
        List<JsonNode> letters = new ArrayList<>();
        try {
            ended = awaitOutcomes(outcomes, FLOOD + QUIET);
            List<DocumentOutcome> dead = ended.stream().filter(o -> o.outcome == Outcome.DEAD_LETTERED).collect(Collectors.toList());
            for (ConsumerRecord<String, String> r : KAFKA.readCommitted(dlq, rs -> rs.size() >= dead.size(), Duration.ofSeconds(60))) {
                letters.add(Json.MAPPER.readTree(r.value()));
            }
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }

        assertThat(ended).extracting(o -> o.tenant + "/" + o.documentId).doesNotHaveDuplicates().hasSize(FLOOD + QUIET);
        assertThat(ended).filteredOn(o -> o.tenant.equals("quiet")).extracting(o -> o.outcome).containsOnly(Outcome.INDEXED);

        List<DocumentOutcome> flood = ended.stream().filter(o -> o.tenant.equals("flood")).collect(Collectors.toList());
        List<DocumentOutcome> indexed = flood.stream().filter(o -> o.outcome == Outcome.INDEXED).collect(Collectors.toList());
        List<DocumentOutcome> refused = flood.stream().filter(o -> o.outcome == Outcome.DEAD_LETTERED).collect(Collectors.toList());
        // The bucket and the queue at least (the source may read the ten over a little time, when the bucket refills).
        assertThat(indexed.size()).isGreaterThanOrEqualTo(4);
        assertThat(refused).isNotEmpty().allSatisfy(o -> {
            assertThat(o.stage).isEqualTo("admit");
            assertThat(o.error).isEqualTo("TenantOverRate");
            assertThat(o.message).contains("ingest.tenant.max-waiting=2");
        });
        assertThat(indexed.size() + refused.size()).isEqualTo(FLOOD);

        // Each dead letter on the topic carries the event as sent, for the producer to send again.
        assertThat(letters).extracting(d -> d.get("tenant").asText() + "/" + d.get("documentId").asText())
                .containsExactlyInAnyOrderElementsOf(refused.stream().map(o -> o.tenant + "/" + o.documentId).collect(Collectors.toList()));
        assertThat(letters).allSatisfy(d -> assertThat(d.path("event").path("contentBase64").asText()).isNotEmpty());
    }

    private static ObjectNode upsert(String tenant, String documentId, String text) {
        return Json.MAPPER.createObjectNode().put("documentId", documentId).put("tenant", tenant).put("version", 1)
                .put("op", "UPSERT").put("contentType", "text/plain")
                .put("contentBase64", Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void send(String topic, ObjectNode event) {
        KAFKA.send(topic, event.get("documentId").asText(), Json.toString(event));
    }

    private static List<DocumentOutcome> awaitOutcomes(CollectingSink<DocumentOutcome> sink, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (sink.values().size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Only " + sink.values().size() + " of " + count + " outcomes within 2 minutes: " + sink.values());
            }
            Thread.sleep(300);
        }
        return new ArrayList<>(sink.values());
    }
}
