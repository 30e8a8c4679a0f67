package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
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
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.search.Hit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two tenants, one documentId: independent upserts, versions, stale checks, deletes, outcomes and dead letters,
 * and an index version lookup (a third tenant with empty state) that only sees its own tenant.
 */
class TenantIdentityITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final String A = "tenant-a";
    private static final String B = "tenant-b";
    private static final String C = "tenant:c"; // a ':' in the tenant must not make ids ambiguous
    private static final String DOC = "guide";

    private String alias;

    @Test
    void sameDocumentIdInTwoTenantsIsTwoIndependentDocuments() throws Exception {
        String documents = KAFKA.createTopic("tenants", 2);
        String dlq = KAFKA.createTopic("tenants-dlq", 1);
        alias = OPENSEARCH.uniqueName("tenants");
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("tenants-itcase")
                .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
        KafkaSink<FailedDocument> dlqSink = KafkaSink.<FailedDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setRecordSerializer(new DeadLetterSerializer(dlq))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
        CollectingSink<DocumentOutcome> outcomes = new CollectingSink<>();

        conf.set(IngestOptions.PARALLELISM, 2);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, dlqSink, outcomes, conf, -1).build(env);
        JobClient job = env.executeAsync("tenants-itcase");
        try {
            // A at version 5, then B at version 1: before, B's upsert was dropped as stale against A's version.
            send(documents, upsert(A, 5, "Alpha corp: the pump runs at 40 litres per minute."));
            await(() -> has(outcomes, A, 5, Outcome.INDEXED));
            send(documents, upsert(B, 1, "Beta corp: the pump runs at 90 litres per minute."));
            await(() -> has(outcomes, B, 1, Outcome.INDEXED));
            assertThat(chunks(A)).extracting(c -> c.version).containsOnly(5L);
            assertThat(chunks(B)).extracting(c -> c.version).containsOnly(1L);
            assertThat(chunks(A)).extracting(c -> c.text).allSatisfy(t -> assertThat(t).contains("Alpha"));
            assertThat(chunks(B)).extracting(c -> c.text).allSatisfy(t -> assertThat(t).contains("Beta"));
            assertThat(chunks(A)).extracting(c -> c.chunkId).allSatisfy(id -> assertThat(id).startsWith(A + ":" + DOC + ":5:"));

            // B's new version replaces only B's chunks; A's stale version is stale for A only.
            send(documents, upsert(B, 2, "Beta corp: the pump now runs at 95 litres per minute."));
            send(documents, upsert(A, 3, "Alpha corp: an old draft."));
            await(() -> has(outcomes, B, 2, Outcome.INDEXED) && has(outcomes, A, 3, Outcome.STALE)
                    && safeChunks(B) != null && safeChunks(B).stream().allMatch(c -> c.version == 2));
            assertThat(chunks(B)).extracting(c -> c.version).containsOnly(2L);
            assertThat(chunks(A)).extracting(c -> c.version).containsOnly(5L);

            // A third tenant with empty gate state: the index lookup must not see A's or B's versions.
            send(documents, upsert(C, 1, "Gamma corp: the pump runs at 12 litres per minute."));
            await(() -> has(outcomes, C, 1, Outcome.INDEXED));
            assertThat(chunks(C)).extracting(c -> c.chunkId).allSatisfy(id -> assertThat(id).startsWith("tenant%3Ac:" + DOC + ":1:"));

            // B deletes its document: A's and C's stay.
            send(documents, Json.MAPPER.createObjectNode().put("documentId", DOC).put("tenant", B).put("op", "DELETE").put("version", 3));
            await(() -> has(outcomes, B, 3, Outcome.DELETED) && safeChunks(B) != null && safeChunks(B).isEmpty());
            assertThat(chunks(A)).isNotEmpty();
            assertThat(chunks(C)).isNotEmpty();

            // The same bad event in two tenants: two dead letters, each with its tenant.
            for (String tenant : List.of(A, B)) {
                ObjectNode bad = Json.MAPPER.createObjectNode().put("documentId", "broken").put("tenant", tenant).put("version", 1)
                        .put("contentType", "text/plain").put("contentBase64", "!!!not base64!!!");
                send(documents, bad);
            }
            List<ConsumerRecord<String, String>> dead = KAFKA.readCommitted(dlq, r -> r.size() >= 2, Duration.ofSeconds(60));
            List<JsonNode> letters = new java.util.ArrayList<>();
            for (ConsumerRecord<String, String> r : dead) {
                letters.add(Json.MAPPER.readTree(r.value()));
            }
            assertThat(letters).extracting(d -> d.get("tenant").asText() + "/" + d.get("documentId").asText())
                    .containsExactlyInAnyOrder(A + "/broken", B + "/broken");

            await(() -> outcomes.values().size() >= 8);
            assertThat(outcomes.values()).extracting(o -> o.tenant + " v" + o.version + " " + o.outcome).containsExactlyInAnyOrder(
                    A + " v5 indexed", B + " v1 indexed", B + " v2 indexed", A + " v3 stale", C + " v1 indexed", B + " v3 deleted",
                    A + " v1 dead-lettered", B + " v1 dead-lettered");
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }

    private static ObjectNode upsert(String tenant, long version, String text) {
        return Json.MAPPER.createObjectNode().put("documentId", DOC).put("tenant", tenant).put("version", version).put("op", "UPSERT")
                .put("contentType", "text/plain")
                .put("contentBase64", Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void send(String topic, ObjectNode event) {
        KAFKA.send(topic, event.get("documentId").asText(), Json.toString(event));
    }

    private static boolean has(CollectingSink<DocumentOutcome> sink, String tenant, long version, Outcome outcome) {
        return sink.values().stream().anyMatch(o -> o.tenant.equals(tenant) && o.documentId.equals(DOC) && o.version == version
                && o.outcome == outcome);
    }

    private List<Chunk> chunks(String tenant) throws Exception {
        OPENSEARCH.refresh(alias);
        Query doc = Query.of(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(DOC))));
        Query ten = Query.of(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(tenant))));
        return OPENSEARCH.client().search(s -> s.index(alias).size(1000).query(q -> q.bool(b -> b.filter(doc, ten))), Chunk.class)
                .hits().hits().stream().map(Hit::source).collect(Collectors.toList());
    }

    /** Chunks of the tenant's document, or null while the index is not there yet. */
    private List<Chunk> safeChunks(String tenant) {
        try {
            return chunks(tenant);
        } catch (Exception e) {
            return null;
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Condition not met within 2 minutes");
            }
            Thread.sleep(300);
        }
    }
}
