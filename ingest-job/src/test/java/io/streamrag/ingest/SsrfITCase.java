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
import com.sun.net.httpserver.HttpServer;
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
import org.junit.jupiter.api.io.TempDir;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch.core.search.Hit;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SSRF set against the running job: document events of tenant {@code attacker} whose {@code uri} points at our own
 * services in every loopback form, through redirects, names and odd schemes. Only one loopback port (the test's
 * document server) is allowed. Every one is exactly one fetch dead letter, no chunk is indexed, the job keeps
 * running. Refusals happen before any connection, so nothing here talks to the shared services through the job.
 */
class SsrfITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final String TENANT = "attacker";

    @TempDir
    Path dir;

    @Test
    void everySsrfFormIsDeadLetteredAtFetchAndNothingIsIndexed() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        int port = server.getAddress().getPort();
        server.createContext("/doc.txt", ex -> {
            byte[] body = "The allowed document server hands out this harmless page.".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        Map<String, String> redirects = Map.of(
                "/to-opensearch", "http://127.0.0.1:9200/_search?size=50&q=backup",
                "/to-other-port", "http://127.0.0.1:" + (port == 65535 ? port - 1 : port + 1) + "/",
                "/to-localhost", "http://localhost:9200/",
                "/to-ipv6", "http://[::1]:9200/",
                "/to-file", "file:///etc/passwd",
                "/to-decimal", "http://2130706433:9200/");
        redirects.forEach((path, target) -> server.createContext(path, ex -> {
            ex.getResponseHeaders().add("Location", target);
            ex.sendResponseHeaders(302, -1);
            ex.close();
        }));
        server.start();
        String allowed = "http://127.0.0.1:" + port;

        Path roots = Files.createDirectories(dir.resolve("roots"));
        Path outside = Files.writeString(dir.resolve("outside.txt"), "private notes of another tenant");

        Map<String, String> ssrf = new LinkedHashMap<>();
        ssrf.put("opensearch", "http://127.0.0.1:9200/rag-chunks/_search?size=50&q=backup");
        ssrf.put("short-form", "http://127.1:9200/");
        ssrf.put("loopback-2", "http://127.0.0.2:9200/");
        ssrf.put("localhost", "http://localhost:9200/");
        ssrf.put("ipv6-loopback", "http://[::1]:9200/");
        ssrf.put("ipv4-mapped", "http://[::ffff:127.0.0.1]:9200/");
        ssrf.put("ipv4-mapped-hex", "http://[::ffff:7f00:1]:9200/");
        ssrf.put("unspecified", "http://0.0.0.0:9200/");
        ssrf.put("unspecified-v6", "http://[::]:9200/");
        ssrf.put("decimal", "http://2130706433:9200/");
        ssrf.put("hex", "http://0x7f000001:9200/");
        ssrf.put("octal", "http://0177.0.0.1:9200/");
        ssrf.put("flink-rest", "http://127.0.0.1:8081/jobs/overview");
        ssrf.put("model", "http://127.0.0.1:8090/v1/models");
        ssrf.put("allowed-host-other-port", "http://127.0.0.1:" + (port == 65535 ? port - 1 : port + 1) + "/");
        ssrf.put("link-local-metadata", "http://169.254.169.254/latest/meta-data/");
        ssrf.put("userinfo-trick", "http://127.0.0.1:" + port + "@127.0.0.1:9200/");
        redirects.keySet().stream().sorted().forEach(p -> ssrf.put("redirect" + p.replace('/', '-'), allowed + p));
        ssrf.put("file-outside-roots", outside.toUri().toString());
        ssrf.put("file-etc", "file:///etc/passwd");
        ssrf.put("scheme-gopher", "gopher://127.0.0.1:9200/_");
        ssrf.put("scheme-ftp", "ftp://127.0.0.1/pub/file.txt");
        ssrf.put("scheme-jar", "jar:file:///etc/passwd!/x");
        ssrf.put("scheme-dict", "dict://127.0.0.1:9200/info");

        String documents = KAFKA.createTopic("ssrf-documents", 2);
        String dlq = KAFKA.createTopic("ssrf-dlq", 1);
        String alias = OPENSEARCH.uniqueName("ssrf");
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));
        conf.set(IngestOptions.ALLOWED_ROOTS, roots.toString());
        // Any host name, but of all non-public addresses only the document server's one port. Written with the keys
        // before the ingest. prefix, as an older deployment would: they are still read (the good fetches prove it).
        conf.setString("fetch.allowed-hosts", "*");
        conf.setString("fetch.allowed-addresses", "127.0.0.1:" + port);

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("ssrf-itcase")
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
        JobClient job = env.executeAsync("ssrf-itcase");
        try {
            ssrf.forEach((id, uri) -> send(documents, id, uri));
            send(documents, "control", allowed + "/doc.txt"); // the one allowed fetch: the policy is not "refuse all"

            int expected = ssrf.size() + 1;
            await(Duration.ofMinutes(3), () -> outcomes.values().size() >= expected);
            List<ConsumerRecord<String, String>> dead = KAFKA.readCommitted(dlq, r -> r.size() >= ssrf.size(), Duration.ofSeconds(60));

            Map<String, JsonNode> byDoc = new HashMap<>();
            for (ConsumerRecord<String, String> r : dead) {
                JsonNode d = Json.MAPPER.readTree(r.value());
                assertThat(byDoc.put(d.get("documentId").asText(), d)).as("one dead letter per event").isNull();
            }
            assertThat(byDoc.keySet()).containsExactlyInAnyOrderElementsOf(ssrf.keySet());
            byDoc.forEach((id, d) -> {
                assertThat(d.get("stage").asText()).as(id).isEqualTo("fetch");
                assertThat(d.get("tenant").asText()).as(id).isEqualTo(TENANT);
                assertThat(d.get("error").asText()).as(id + ": " + d.get("message").asText()).isEqualTo("Forbidden");
                assertThat(d.get("message").asText()).as(id).isNotBlank();
            });
            assertThat(byDoc.get("opensearch").get("message").asText()).contains("loopback");
            assertThat(byDoc.get("redirect-to-opensearch").get("message").asText()).contains("Redirect 1", "loopback");
            assertThat(byDoc.get("redirect-to-other-port").get("message").asText()).contains("Redirect 1", "port");
            assertThat(byDoc.get("decimal").get("message").asText()).contains("non-canonical");
            assertThat(byDoc.get("scheme-gopher").get("message").asText()).contains("ingest.fetch.allowed-schemes");
            assertThat(byDoc.get("file-outside-roots").get("message").asText()).contains("ingest.allowed-roots");

            List<DocumentOutcome> all = outcomes.values();
            assertThat(all).hasSize(expected);
            assertThat(all).filteredOn(o -> o.outcome == Outcome.DEAD_LETTERED).hasSize(ssrf.size());
            assertThat(all).filteredOn(o -> o.outcome == Outcome.INDEXED).extracting(o -> o.documentId).containsExactly("control");

            OPENSEARCH.refresh(alias);
            List<Chunk> indexed = OPENSEARCH.client().search(s -> s.index(alias).size(1000)
                            .query(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(TENANT)))), Chunk.class)
                    .hits().hits().stream().map(Hit::source).collect(Collectors.toList());
            assertThat(indexed).extracting(c -> c.documentId).containsOnly("control");
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
            server.stop(0);
        }
    }

    private static void send(String topic, String id, String uri) {
        KAFKA.send(topic, id, Json.toString(Json.MAPPER.createObjectNode()
                .put("documentId", id).put("tenant", TENANT).put("version", 1).put("op", "UPSERT")
                .put("contentType", "text/plain").put("uri", uri)));
    }

    private static void await(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Condition not met within " + timeout);
            }
            Thread.sleep(300);
        }
    }
}
