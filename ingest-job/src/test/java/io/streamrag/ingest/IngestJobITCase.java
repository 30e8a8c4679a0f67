package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.io.kafka.DeadLetterSerializer;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.pipeline.IngestSources;
import io.streamrag.ingest.metrics.ExtractMetrics;
import io.streamrag.ingest.metrics.OutcomeMetrics;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;
import io.streamrag.ingest.testing.CollectingSink;
import io.streamrag.ingest.testing.TestDocuments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.api.common.JobExecutionResult;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.search.Hit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole ingest pipeline on a MiniCluster against the real local Kafka and OpenSearch. */
class IngestJobITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final String TENANT = "acme";

    @TempDir
    Path dir;

    private Configuration baseConf(String documents, String dlq, String alias) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(IngestOptions.GROUP_ID, "ingest-itcase-" + documents);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, KAFKA.createTopic("outcomes", 1));
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "ingest-itcase-" + dlq);
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));
        return conf;
    }

    @Test
    void ingestsUpdatesDeletesAndDeadLettersFromKafka() throws Exception {
        String documents = KAFKA.createTopic("documents", 2);
        String dlq = KAFKA.createTopic("documents-dlq", 1);
        alias = OPENSEARCH.uniqueName("chunks");
        Configuration conf = baseConf(documents, dlq, alias);
        conf.set(IngestOptions.ALLOWED_ROOTS, dir.toString());

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setTopics(documents)
                .setGroupId("ingest-itcase")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RawDocumentDeserializer())
                .build();
        KafkaSink<FailedDocument> dlqSink = KafkaSink.<FailedDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setRecordSerializer(new DeadLetterSerializer(dlq))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
        CollectingSink<DocumentOutcome> outcomes = new CollectingSink<>();

        conf.set(IngestOptions.PARALLELISM, 2);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, dlqSink, outcomes, conf, -1).build(env);
        JobClient job = env.executeAsync("ingest-itcase");
        try {
            // --- good documents ---
            byte[] manual = TestDocuments.pdf(List.of(
                    page("Apples grow in the orchard and are harvested in autumn.", "Orchard"),
                    page("The administration console listens on port 8443 for HTTPS connections.", "Console"),
                    page("Bananas are shipped in refrigerated containers.", "Shipping")));
            send(documents, event("manual", 1, "application/pdf", null, manual));

            Path filePdf = dir.resolve("guide.pdf");
            Files.write(filePdf, TestDocuments.pdf(List.of(
                    page("The backup job runs every night at two o'clock.", "Backup"),
                    page("Restore a backup with the restore command.", "Restore"))));
            send(documents, event("guide", 1, null, filePdf.toUri().toString(), null));

            byte[] withImages = TestDocuments.pdfWithImages(TestDocuments.sentences("Intro", 3), "ZEPHYR 4711", "QUOKKA MANUAL");
            send(documents, event("pictures", 1, "application/pdf", null, withImages));

            byte[] markdown = "# Release notes\n\nVersion 2 adds dark mode.\n\n## Known issues\n\nPrinting is slow.".getBytes();
            send(documents, event("notes", 1, "text/markdown", null, markdown));

            // --- bad documents ---
            KAFKA.send(documents, "garbage", "{not json");
            ObjectNode noTenant = event("no-tenant", 1, null, filePdf.toUri().toString(), null);
            noTenant.remove("tenant");
            send(documents, noTenant);
            send(documents, event("locked", 1, null, null, TestDocuments.encryptedPdf("user-secret", "owner", true, "Secret")));
            byte[] truncated = Arrays.copyOf(manual, manual.length / 3);
            send(documents, event("truncated", 1, "application/pdf", null, truncated));
            send(documents, event("outside", 1, null, "file:///etc/hostname", null));
            send(documents, event("missing", 1, null, dir.resolve("nope.pdf").toUri().toString(), null));

            await(Duration.ofMinutes(4), () -> count("manual") == 3 && count("guide") > 0 && count("pictures") > 0 && count("notes") > 0);

            // Pages of the multi-page PDF, and the file:// one.
            assertThat(chunks("manual")).extracting(c -> c.page).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(chunks("manual")).allSatisfy(c -> {
                assertThat(c.tenant).isEqualTo(TENANT);
                assertThat(c.version).isEqualTo(1);
                assertThat(c.kind).isEqualTo("text");
                assertThat(c.embedding).hasSize(384);
            });
            assertThat(chunks("guide")).extracting(c -> c.uri).containsOnly(filePdf.toUri().toString());
            assertThat(chunks("guide")).extracting(c -> c.text).anySatisfy(t -> assertThat(t).contains("backup job"));

            // OCR'd words become image chunks on their pages.
            List<Chunk> pictures = chunks("pictures");
            assertThat(pictures).filteredOn(c -> "image".equals(c.kind) && c.page == 2)
                    .extracting(c -> c.text.toUpperCase()).anySatisfy(t -> assertThat(t).contains("ZEPHYR"));
            assertThat(pictures).filteredOn(c -> "image".equals(c.kind) && c.page == 3)
                    .extracting(c -> c.text.toUpperCase()).anySatisfy(t -> assertThat(t).contains("QUOKKA"));
            assertThat(chunks("notes")).extracting(c -> c.section).contains("Release notes", "Known issues");

            // Semantic search with the same model finds the right page.
            EmbeddingModel model = EmbeddingModels.create(conf);
            float[] question = model.embed("Which port does the admin UI use?").content().vector();
            List<Hit<Chunk>> hits = OPENSEARCH.client().search(s -> s.index(alias).size(3)
                            .query(q -> q.knn(k -> k.field(ChunkIndex.EMBEDDING).vector(question).k(3)
                                    .filter(Query.of(f -> f.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(TENANT))))))),
                    Chunk.class).hits().hits();
            assertThat(hits).isNotEmpty();
            assertThat(hits.get(0).source().documentId).isEqualTo("manual");
            assertThat(hits.get(0).source().page).isEqualTo(2);

            // Dead letters, with stage and reason.
            List<ConsumerRecord<String, String>> dead = KAFKA.readCommitted(dlq, r -> r.size() >= 6, Duration.ofSeconds(60));
            Map<String, JsonNode> byDoc = new java.util.HashMap<>();
            for (ConsumerRecord<String, String> r : dead) {
                byDoc.put(r.key(), Json.MAPPER.readTree(r.value()));
            }
            assertThat(byDoc).containsKeys("garbage", "no-tenant", "locked", "truncated", "outside", "missing");
            assertThat(reason(byDoc.get("garbage"))).isEqualTo("parse/InvalidJson");
            assertThat(reason(byDoc.get("no-tenant"))).isEqualTo("validate/MissingField");
            assertThat(reason(byDoc.get("locked"))).isEqualTo("extract/EncryptedDocument");
            assertThat(reason(byDoc.get("truncated"))).isEqualTo("extract/CorruptDocument");
            assertThat(reason(byDoc.get("outside"))).isEqualTo("fetch/Forbidden");
            assertThat(byDoc.get("outside").get("message").asText()).contains("file:// not allowed");
            assertThat(reason(byDoc.get("missing"))).isEqualTo("fetch/NotFound");
            assertThat(byDoc.get("locked").get("event").get("contentBase64").asText()).startsWith("<elided");
            assertThat(byDoc.get("locked").get("tenant").asText()).isEqualTo(TENANT);

            // A new version replaces every chunk of the old one.
            byte[] manual2 = TestDocuments.pdf(List.of(
                    page("The administration console now listens on port 9443.", "Console"),
                    page("Bananas are no longer covered.", "Shipping")));
            send(documents, event("manual", 2, "application/pdf", null, manual2));
            await(Duration.ofMinutes(2), () -> count("manual") == 2 && safeChunks("manual").stream().allMatch(c -> c.version == 2));
            assertThat(chunks("manual")).extracting(c -> c.text).anySatisfy(t -> assertThat(t).contains("9443"));

            // An older version is ignored.
            send(documents, event("manual", 1, "application/pdf", null, manual));
            await(Duration.ofMinutes(1), () -> has(outcomes, "manual", 1, Outcome.STALE));
            assertThat(chunks("manual")).extracting(c -> c.version).containsOnly(2L);

            // A DELETE removes all chunks of the document.
            ObjectNode delete = Json.MAPPER.createObjectNode().put("documentId", "guide").put("tenant", TENANT).put("op", "DELETE");
            send(documents, delete);
            await(Duration.ofMinutes(1), () -> count("guide") == 0 && outcomes.values().stream()
                    .anyMatch(o -> o.documentId.equals("guide") && o.outcome == Outcome.DELETED));

            // Every event ended exactly once; the job is still up.
            await(Duration.ofSeconds(30), () -> outcomes.values().size() >= 13);
            List<DocumentOutcome> all = outcomes.values();
            assertThat(all).hasSize(13);
            assertThat(all).filteredOn(o -> o.outcome == Outcome.INDEXED).hasSize(5);
            assertThat(all).filteredOn(o -> o.outcome == Outcome.DEAD_LETTERED).hasSize(6);
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void backfillsAFolderAndFinishes() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("backfill/sub"));
        Files.writeString(dir.resolve("backfill/readme.md"), "# Readme\n\nThe gateway forwards requests to the upstream pool.");
        Files.write(folder.resolve("sheet.pdf"), TestDocuments.pdf(List.of(
                page("Torque the bolts to 35 newton metres.", "Bolts"), page("Then check the seal.", "Seal"))));
        alias = OPENSEARCH.uniqueName("backfill");
        String dlq = KAFKA.createTopic("backfill-dlq", 1);
        Configuration conf = baseConf("unused", dlq, alias);
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, dir.resolve("backfill").toString());
        conf.set(IngestOptions.TENANT, "globex");
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        Files.writeString(folder.resolve("broken.pdf"), "%PDF-1.7 this is not a PDF");

        conf.set(IngestOptions.PARALLELISM, 1);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        JobExecutionResult result = IngestJob.fromConfiguration(conf).execute(env); // bounded: returns when done

        // The backfill summary's figures are the job's own counts (bin/rag backfill reads these accumulators).
        assertThat(result.<Long>getAccumulatorResult(OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.INDEXED)).isEqualTo(2L);
        assertThat(result.<Long>getAccumulatorResult(OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.DEAD_LETTERED)).isEqualTo(1L);
        assertThat(result.<Long>getAccumulatorResult(ExtractMetrics.PAGES_ACCUMULATOR)).isEqualTo(3L); // readme 1 + sheet 2

        OPENSEARCH.refresh(alias);
        assertThat(chunks("readme.md")).extracting(c -> c.tenant).containsOnly("globex");
        assertThat(chunks("sub/sheet.pdf")).extracting(c -> c.page).containsExactlyInAnyOrder(1, 2);
        assertThat(chunks("sub/sheet.pdf")).extracting(c -> c.uri).allSatisfy(u -> assertThat(u).startsWith("file:///"));
    }

    @Test
    void backfillsTheTopicUpToItsEndAndFinishes() throws Exception {
        Configuration conf = boundedKafka("bounded", 2);
        String documents = conf.get(StreamRagOptions.DOCUMENTS_TOPIC);
        String dlq = conf.get(StreamRagOptions.DEAD_LETTER_TOPIC);
        for (int i = 0; i < 4; i++) {
            byte[] text = ("Note " + i + ": the filter cartridge is replaced every " + (i + 2) + " months.").getBytes();
            send(documents, event("note-" + i, 1, "text/plain", null, text));
        }
        KAFKA.send(documents, "broken", "[]");
        assertThat(IngestSources.pendingRecords(conf, documents)).isEqualTo(5);

        conf.set(IngestOptions.PARALLELISM, 2);
        runToTheEnd(conf);

        for (int i = 0; i < 4; i++) {
            assertThat(chunks("note-" + i)).hasSize(1);
        }
        List<ConsumerRecord<String, String>> dead = KAFKA.readCommitted(dlq, r -> r.size() >= 1, Duration.ofSeconds(30));
        assertThat(dead).extracting(ConsumerRecord::key).containsExactly("broken");
        // Its offsets went to its own group; the live job's group was left alone.
        try (Admin admin = Admin.create(KafkaClientSettings.properties(conf))) {
            assertThat(committedRecords(admin, "streamrag-ingest-kafka-bounded", documents)).isEqualTo(5);
            assertThat(committedRecords(admin, IngestOptions.GROUP_ID.defaultValue(), documents)).isZero();
        }
    }

    /**
     * Events of a producer's aborted transaction are not documents: the source reads committed ones only (it read
     * both before, the consumer's default), and a bounded run still ends at the topic's end past the markers.
     */
    @Test
    void eventsOfAnAbortedTransactionAreNotIngested() throws Exception {
        Configuration conf = boundedKafka("transactional", 1);
        String documents = conf.get(StreamRagOptions.DOCUMENTS_TOPIC);
        Properties props = KafkaClientSettings.properties(conf);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-" + documents);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(documents, "aborted", Json.toString(
                    event("aborted", 1, "text/plain", null, "The aborted note says port 1111.".getBytes()))));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(documents, "committed", Json.toString(
                    event("committed", 1, "text/plain", null, "The committed note says port 8443.".getBytes()))));
            producer.commitTransaction();
        }

        runToTheEnd(conf);

        assertThat(chunks("committed")).hasSize(1);
        assertThat(chunks("aborted")).isEmpty();
    }

    /** A kafka-bounded run over new topics {@code name} and {@code name-dlq}, in its own consumer group (the default). */
    private Configuration boundedKafka(String name, int partitions) {
        String documents = KAFKA.createTopic(name, partitions);
        String dlq = KAFKA.createTopic(name + "-dlq", 1);
        alias = OPENSEARCH.uniqueName(name);
        Configuration conf = baseConf(documents, dlq, alias);
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.KAFKA_BOUNDED);
        conf.removeConfig(IngestOptions.GROUP_ID); // the default: a group of its own, not the live job's
        return conf;
    }

    /** Runs a bounded job; returns once the end offsets are reached and all is written. */
    private static void runToTheEnd(Configuration conf) throws Exception {
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        IngestJob.fromConfiguration(conf).execute(env);
    }

    /** Records of {@code topic} below the offsets {@code group} committed. */
    private static long committedRecords(Admin admin, String group, String topic) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Alias of the running test. */
    private String alias;

    /** A page long enough (~60 words) to close its own chunk: one key sentence and filler. */
    private static List<String> page(String key, String topic) {
        List<String> lines = new ArrayList<>();
        lines.add(key);
        lines.addAll(TestDocuments.sentences(topic + "-note-", 5));
        return lines;
    }

    private static String reason(JsonNode deadLetter) {
        return deadLetter.get("stage").asText() + "/" + deadLetter.get("error").asText();
    }

    private static boolean has(CollectingSink<DocumentOutcome> sink, String id, long version, Outcome outcome) {
        return sink.values().stream().anyMatch(o -> o.documentId.equals(id) && o.version == version && o.outcome == outcome);
    }

    private void send(String topic, ObjectNode event) {
        KAFKA.send(topic, event.get("documentId").asText(), Json.toString(event));
    }

    private static ObjectNode event(String id, long version, String contentType, String uri, byte[] content) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("documentId", id).put("tenant", TENANT).put("version", version).put("op", "UPSERT");
        if (contentType != null) {
            e.put("contentType", contentType);
        }
        if (uri != null) {
            e.put("uri", uri);
        }
        if (content != null) {
            e.put("contentBase64", Base64.getEncoder().encodeToString(content));
        }
        return e;
    }

    private List<Chunk> chunks(String documentId) throws Exception {
        OPENSEARCH.refresh(alias);
        return OPENSEARCH.client().search(s -> s.index(alias).size(1000)
                                .query(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(documentId)))),
                        Chunk.class)
                .hits().hits().stream().map(Hit::source).collect(Collectors.toList());
    }

    private List<Chunk> safeChunks(String documentId) {
        try {
            return chunks(documentId);
        } catch (Exception e) {
            return List.of();
        }
    }

    private long count(String documentId) {
        try {
            return chunks(documentId).size();
        } catch (Exception e) {
            return -1; // index not created yet
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
