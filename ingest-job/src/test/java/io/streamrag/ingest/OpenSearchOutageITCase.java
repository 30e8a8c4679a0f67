package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.net.LoopbackProxy;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.pipeline.IngestSinks;
import io.streamrag.ingest.records.RawDocument;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch._types.FieldValue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * OpenSearch unreachable for 15 s in the middle of a stream (a {@link LoopbackProxy} in front of the shared node
 * refuses and resets connections): with restarts disabled, the job waits the outage out, loses nothing and writes
 * every outcome and dead letter exactly once.
 */
class OpenSearchOutageITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    private static final Duration OUTAGE = Duration.ofSeconds(15);
    private static final int BEFORE = 10;
    private static final int DURING = 20;

    /** With the version lookup the gate meets the outage first; without it, bulk indexing and the old-version delete do. */
    @ParameterizedTest(name = "version lookup {0}")
    @ValueSource(booleans = {true, false})
    void waitsOutAnOutageWithoutFailingOrLosingAnything(boolean versionLookup) throws Exception {
        String documents = KAFKA.createTopic("outage-documents", 2);
        String dlq = KAFKA.createTopic("outage-dlq", 1);
        String outcomes = KAFKA.createTopic("outage-outcomes", 1);
        String alias = OPENSEARCH.uniqueName("outage");
        try (LoopbackProxy proxy = LoopbackProxy.start(URI.create(OPENSEARCH.url()).getPort())) {
            Configuration conf = new Configuration();
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // any task failure fails the test
            conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
            conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
            conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
            conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
            conf.set(StreamRagOptions.OPENSEARCH_URL, proxy.httpUrl());
            conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
            conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "outage-itcase-" + outcomes);
            conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
            conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
            conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));
            conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofMinutes(3));
            conf.set(IngestOptions.INDEX_RETRY_MAX_BACKOFF, Duration.ofSeconds(2));
            conf.set(IngestOptions.INDEX_VERSION_LOOKUP, versionLookup);

            KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                    .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("outage-" + documents)
                    .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
            conf.set(IngestOptions.PARALLELISM, 2);
            conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            IngestJob.configure(env, conf);
            new IngestJob(source, "Kafka: " + documents, IngestSinks.deadLetterSink(conf), IngestSinks.outcomeSink(conf), conf, -1).build(env);
            JobClient job = env.executeAsync("opensearch-outage-itcase");
            List<String> good = new ArrayList<>();
            List<String> bad = new ArrayList<>();
            try {
                for (int i = 0; i < BEFORE; i++) {
                    good.add(sendGood(documents, "before-" + i));
                }
                KAFKA.readCommitted(outcomes, r -> r.size() >= BEFORE / 2, Duration.ofMinutes(3));

                proxy.mode(LoopbackProxy.Mode.DOWN);
                long downAt = System.currentTimeMillis();
                for (int i = 0; i < DURING; i++) {
                    good.add(sendGood(documents, "during-" + i));
                    if (i % 5 == 0) {
                        KAFKA.send(documents, "garbage-" + i, "{not json");
                        bad.add("garbage-" + i);
                    }
                }
                Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.currentTimeMillis() - downAt))); // the outage itself
                assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
                proxy.mode(LoopbackProxy.Mode.UP);

                int total = good.size() + bad.size();
                KAFKA.readCommitted(outcomes, r -> r.size() >= total, Duration.ofMinutes(3));
                List<IngestOutcome> all = KAFKA.readAllCommitted(outcomes, Duration.ofSeconds(4)).stream()
                        .map(r -> Json.fromString(r.value(), IngestOutcome.class)).collect(Collectors.toList());
                Map<String, Long> perDocument = all.stream().collect(Collectors.groupingBy(o -> o.documentId, Collectors.counting()));
                assertThat(all).hasSize(total);
                assertThat(perDocument).allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
                assertThat(all).filteredOn(o -> o.outcome == Outcome.INDEXED).extracting(o -> o.documentId)
                        .containsExactlyInAnyOrderElementsOf(good);
                // Documents sent during the outage were held until it ended, not dropped or failed.
                assertThat(all).filteredOn(o -> o.documentId.startsWith("during-"))
                        .allSatisfy(o -> assertThat(o.finishedAt).isGreaterThanOrEqualTo(downAt + OUTAGE.toMillis() - 1000));

                // Nothing lost: each good document's chunk is in the index (asked directly, not through the proxy).
                OPENSEARCH.refresh(alias);
                for (String id : good) {
                    long n = OPENSEARCH.client().count(c -> c.index(alias)
                            .query(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(id))))).count();
                    assertThat(n).as(id).isEqualTo(1);
                }
                List<DeadLetter> dead = KAFKA.readAllCommitted(dlq, Duration.ofSeconds(2)).stream()
                        .map(r -> Json.fromString(r.value(), DeadLetter.class)).collect(Collectors.toList());
                assertThat(dead).extracting(d -> d.documentId).containsExactlyInAnyOrderElementsOf(bad);
                assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
            } finally {
                job.cancel().get();
            }
        }
    }

    private static String sendGood(String topic, String id) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("documentId", id).put("tenant", "acme").put("version", 1).put("op", "UPSERT").put("contentType", "text/plain");
        e.put("contentBase64", Base64.getEncoder().encodeToString(("Note " + id + ": the relief valve is checked every week.").getBytes()));
        KAFKA.send(topic, id, Json.toString(e));
        return id;
    }
}
