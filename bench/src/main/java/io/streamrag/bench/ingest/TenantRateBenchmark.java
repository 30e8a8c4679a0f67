package io.streamrag.bench.ingest;

import io.streamrag.common.config.Configs;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What {@code ingest.tenant.document-rate} buys the other tenants: one tenant sends a backlog of generated PDFs at once,
 * then a quiet tenant sends a few; the real ingest job (Kafka in, OpenSearch, outcomes from {@code documents.outcomes})
 * runs once without a rate and once with it, side by side in one run, and the quiet tenant's outcome latencies are
 * compared. {@code rag bench tenants [--flood 150] [--pages 8] [--quiet 10] [--rate 4] [--parallelism 2]}.
 */
public final class TenantRateBenchmark {

    private TenantRateBenchmark() {}

    /** One run's figures: latencies from each event's Kafka timestamp to its outcome, and what the events became. */
    record Result(String mode, List<Long> quietMs, List<Long> floodMs, double floodSeconds, Map<String, Integer> outcomes, int events) {
        long quiet(double p) {
            return IngestBenchmark.percentile(quietMs, p);
        }

        long flood(double p) {
            return IngestBenchmark.percentile(floodMs, p);
        }
    }

    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args);
        int flood = BenchKafka.intArg(conf, "flood", 150);
        int pages = BenchKafka.intArg(conf, "pages", 8);
        int quiet = BenchKafka.intArg(conf, "quiet", 10);
        double rate = conf.get(ConfigOptions.key("rate").doubleType().defaultValue(4.0));
        Random random = new Random(7);
        List<byte[]> pdfs = new ArrayList<>();
        for (int i = 0; i < flood + quiet + 1; i++) {
            pdfs.add(IngestBenchmark.pdf(random, pages));
        }
        System.out.printf(Locale.ROOT, "Tenant rate (ingest): tenant 'flood' sends %d PDFs of %d pages at once, then tenant 'quiet' %d; "
                + "parallelism %d, OCR off%n", flood, pages, quiet, BenchKafka.intArg(conf, "parallelism", 2));
        List<Result> results = new ArrayList<>();
        for (double r : new double[] {0, rate}) {
            Configuration run = new Configuration(conf);
            run.set(IngestOptions.TENANT_DOCUMENT_RATE, r);
            run.set(IngestOptions.TENANT_MAX_WAITING, Math.max(IngestOptions.TENANT_MAX_WAITING.defaultValue(), flood));
            results.add(run(run, r == 0 ? "no rate" : "rate " + r + "/s", pdfs, flood, quiet));
        }
        System.out.printf(Locale.ROOT, "  %-12s %11s %11s %11s %11s %12s  %s%n", "", "quiet p50", "quiet max", "flood p50", "flood max",
                "flood done", "outcomes");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "  %-12s %9.1f s %9.1f s %9.1f s %9.1f s %10.1f s  %s%n", r.mode(), r.quiet(0.5) / 1e3,
                    r.quiet(1.0) / 1e3, r.flood(0.5) / 1e3, r.flood(1.0) / 1e3, r.floodSeconds(), r.outcomes());
        }
        Result off = results.get(0);
        Result on = results.get(1);
        System.out.printf(Locale.ROOT, "  quiet tenant's latency with the rate / without: p50 %.2f, max %.2f; the flood's last outcome %.2f×%n",
                (double) on.quiet(0.5) / Math.max(1, off.quiet(0.5)), (double) on.quiet(1.0) / Math.max(1, off.quiet(1.0)),
                on.floodSeconds() / off.floodSeconds());
        boolean everyEventEnded = results.stream().allMatch(r -> r.quietMs().size() + r.floodMs().size() == r.events());
        System.exit(everyEventEnded ? 0 : 1);
    }

    /** Runs the ingest job on its own topics and index until every event of the flood and the quiet tenant has its outcome. */
    static Result run(Configuration conf, String mode, List<byte[]> pdfs, int flood, int quiet) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String documents = "bench-tenant-documents-" + id;
        String dlq = "bench-tenant-dlq-" + id;
        String outcomes = "bench-tenant-outcomes-" + id;
        String alias = "bench-tenant-chunks-" + id;
        int parallelism = BenchKafka.intArg(conf, "parallelism", 2);
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.KAFKA);
        conf.set(IngestOptions.GROUP_ID, "bench-tenant-" + id);
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "bench-tenant-" + id);
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.PARALLELISM, parallelism);
        // Outcomes become readable on checkpoints; their latencyMs is taken when reached, not when committed.
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");

        Properties read = KafkaClientSettings.properties(conf);
        read.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-tenant-reader-" + id);
        read.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        read.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        read.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        read.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        OpenSearchClient search = OpenSearchClients.create(conf);
        try (Admin admin = BenchKafka.admin(conf); KafkaProducer<String, String> producer = BenchKafka.producer(conf);
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(read)) {
            admin.createTopics(List.of(new NewTopic(documents, parallelism, (short) 1), new NewTopic(dlq, 1, (short) 1),
                    new NewTopic(outcomes, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            consumer.subscribe(List.of(outcomes));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            IngestJob.configure(env, conf);
            IngestJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("streamrag-tenant-rate-benchmark");
            try {
                // A warm-up document of a third tenant: the job has loaded its model and created the index once it ends.
                producer.send(BenchKafka.pdfEvent(documents, "warmup", "warmup", 1, pdfs.get(pdfs.size() - 1)));
                awaitOutcomes(consumer, 1, new ArrayList<>());
                long start = System.currentTimeMillis();
                for (int i = 0; i < flood; i++) {
                    producer.send(BenchKafka.pdfEvent(documents, "flood", "manual-" + i, 1, pdfs.get(i)));
                }
                for (int i = 0; i < quiet; i++) {
                    producer.send(BenchKafka.pdfEvent(documents, "quiet", "guide-" + i, 1, pdfs.get(flood + i)));
                }
                producer.flush();
                List<IngestOutcome> ended = new ArrayList<>();
                awaitOutcomes(consumer, flood + quiet, ended);
                double floodSeconds = (ended.stream().filter(o -> o.tenant.equals("flood")).mapToLong(o -> o.finishedAt).max()
                        .orElse(start) - start) / 1e3;
                Map<String, Integer> byOutcome = new TreeMap<>(ended.stream().collect(
                        Collectors.groupingBy(o -> o.tenant + " " + o.outcome, Collectors.summingInt(o -> 1))));
                return new Result(mode, latencies(ended, "quiet"), latencies(ended, "flood"), floodSeconds, byOutcome, flood + quiet);
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
                admin.deleteTopics(List.of(documents, dlq, outcomes));
                search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)).ignoreUnavailable(true));
                OpenSearchClients.close(search);
            }
        }
    }

    /** Reads outcomes until {@code count} have come. */
    private static void awaitOutcomes(KafkaConsumer<String, String> consumer, int count, List<IngestOutcome> into) {
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (into.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + into.size() + " of " + count + " outcomes within 15 minutes");
            }
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                into.add(Json.fromString(r.value(), IngestOutcome.class));
            }
        }
    }

    private static List<Long> latencies(List<IngestOutcome> outcomes, String tenant) {
        return outcomes.stream().filter(o -> o.tenant.equals(tenant)).map(o -> o.latencyMs).sorted().collect(Collectors.toList());
    }
}
