package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.DeadLetter;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
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
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once outcomes and dead letters: a stream of good and bad document events while the TaskManager is
 * terminated three times (the job restarts from its last checkpoint each time); read with read_committed, every
 * event has exactly one outcome and every bad one exactly one dead letter.
 */
class ExactlyOnceOutcomesITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final int ROUNDS = 3;
    private static final int GOOD_PER_ROUND = 6;

    @Test
    void everyOutcomeAndDeadLetterExactlyOnceAcrossRestarts(@InjectMiniCluster MiniCluster cluster) throws Exception {
        String documents = KAFKA.createTopic("eo-documents", 2);
        String dlq = KAFKA.createTopic("eo-dlq", 1);
        String outcomes = KAFKA.createTopic("eo-outcomes", 1);
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, OPENSEARCH.uniqueName("eo"));
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "eo-itcase-" + outcomes);
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.EMBED_MAX_DELAY, Duration.ofMillis(100));
        conf.set(IngestOptions.INDEX_BULK_FLUSH_INTERVAL, Duration.ofMillis(200));

        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("eo-" + documents)
                .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
        conf.set(IngestOptions.PARALLELISM, 2);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, IngestSinks.deadLetterSink(conf), IngestSinks.outcomeSink(conf), conf, -1).build(env);
        JobClient job = env.executeAsync("exactly-once-outcomes-itcase");
        int expectedOutcomes = 0;
        List<String> bad = new ArrayList<>();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < GOOD_PER_ROUND; i++) {
                    send(documents, text("good-" + round + "-" + i, 1, "Round " + round + " note " + i + ": the valve opens at " + (i + 3) + " bar."));
                }
                // A newer version, then the older one: indexed and stale.
                send(documents, text("versioned-" + round, 2, "Second edition of the pump manual, round " + round + "."));
                send(documents, text("versioned-" + round, 1, "First edition of the pump manual, round " + round + "."));
                KAFKA.send(documents, "garbage-" + round, "{not json");
                ObjectNode noTenant = text("no-tenant-" + round, 1, "No tenant here.");
                noTenant.remove("tenant");
                send(documents, noTenant);
                ObjectNode corrupt = event("corrupt-" + round, 1, "application/pdf", "%PDF-1.7 then nothing useful".getBytes());
                send(documents, corrupt);
                bad.addAll(List.of("garbage-" + round, "no-tenant-" + round, "corrupt-" + round));
                expectedOutcomes += GOOD_PER_ROUND + 2 + 3;

                // Mid-stream: once part of this round is committed, kill the TaskManager; the job restarts on a new one.
                int atLeast = expectedOutcomes - 6;
                KAFKA.readCommitted(outcomes, r -> r.size() >= atLeast, Duration.ofMinutes(3));
                cluster.terminateTaskManager(round).get();
                cluster.startTaskManager();
            }

            int total = expectedOutcomes;
            List<ConsumerRecord<String, String>> records = KAFKA.readCommitted(outcomes, r -> r.size() >= total, Duration.ofMinutes(4));
            assertThat(records).hasSizeGreaterThanOrEqualTo(total);
            // Nothing more arrives (a replay writing twice would commit within a few checkpoints).
            List<IngestOutcome> all = KAFKA.readAllCommitted(outcomes, Duration.ofSeconds(6)).stream()
                    .map(r -> Json.fromString(r.value(), IngestOutcome.class)).collect(Collectors.toList());
            Map<String, Long> perEvent = all.stream().collect(Collectors.groupingBy(o -> o.documentId + "@" + o.version, Collectors.counting()));
            assertThat(all).hasSize(total);
            assertThat(perEvent).allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
            Map<Outcome, List<IngestOutcome>> byOutcome = all.stream().collect(Collectors.groupingBy(o -> o.outcome));
            assertThat(byOutcome.get(Outcome.INDEXED)).hasSize(ROUNDS * (GOOD_PER_ROUND + 1))
                    .allSatisfy(o -> assertThat(o.chunks).isPositive());
            assertThat(byOutcome.get(Outcome.STALE)).hasSize(ROUNDS).allSatisfy(o -> assertThat(o.version).isEqualTo(1));
            assertThat(byOutcome.get(Outcome.DEAD_LETTERED)).hasSize(bad.size());
            Map<String, IngestOutcome> deadOutcomes = byOutcome.get(Outcome.DEAD_LETTERED).stream()
                    .collect(Collectors.toMap(o -> o.documentId, Function.identity()));
            assertThat(deadOutcomes.get("corrupt-0").stage + "/" + deadOutcomes.get("corrupt-0").error).isEqualTo("extract/CorruptDocument");

            List<DeadLetter> dead = KAFKA.readAllCommitted(dlq, Duration.ofSeconds(2)).stream()
                    .map(r -> Json.fromString(r.value(), DeadLetter.class)).collect(Collectors.toList());
            assertThat(dead).extracting(d -> d.documentId).containsExactlyInAnyOrderElementsOf(bad);
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
            // The three restarts did happen: every task runs in its fourth attempt (or later).
            AccessExecutionGraph graph = cluster.getExecutionGraph(job.getJobID()).get();
            assertThat(graph.getAllExecutionVertices()).allSatisfy(v ->
                    assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isGreaterThanOrEqualTo(ROUNDS));
        } finally {
            job.cancel().get();
        }
    }

    private static void send(String topic, ObjectNode event) {
        KAFKA.send(topic, event.get("documentId").asText(), Json.toString(event));
    }

    private static ObjectNode text(String id, long version, String text) {
        return event(id, version, "text/plain", text.getBytes());
    }

    private static ObjectNode event(String id, long version, String contentType, byte[] content) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("documentId", id).put("tenant", "acme").put("version", version).put("op", "UPSERT").put("contentType", contentType);
        e.put("contentBase64", Base64.getEncoder().encodeToString(content));
        return e;
    }
}
