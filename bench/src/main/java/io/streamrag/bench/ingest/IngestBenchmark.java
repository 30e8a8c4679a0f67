package io.streamrag.bench.ingest;

import io.streamrag.common.config.Configs;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.Chunker;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.extract.DocumentExtractor;
import io.streamrag.ingest.extract.ExtractionLimits;
import io.streamrag.ingest.io.kafka.DeadLetterSerializer;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.RawDocument;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.aggregations.StringTermsBucket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Ingest benchmark against the real local Kafka and OpenSearch (not a test): end-to-end throughput from Kafka to
 * searchable chunks, compared with the raw in-process embedding throughput on the same chunks, then freshness
 * (produce → searchable) p50/p99 at half that throughput ({@code e2e}); the folder backfill against a plain langchain4j
 * loader ({@code backfill}, {@link BackfillComparison}); OCR threads and cache ({@code ocr}, {@link OcrBenchmark}); then
 * all of issue 12's figures together. Options: {@code --parts e2e,backfill,ocr --rounds 1 --documents 60 --pages 4
 * --parallelism 2 --freshness-seconds 30 --warmup-documents (documents) --warmup jit-quiet|fixed --warmup-jit-ms 500
 * --warmup-max-batches 6 --warmup-max-seconds 60 --raw-batch-size 32 --manuals DIR --ocr-documents 3 --ocr-pages 20} plus any job option
 * ({@code --ingest.embed.batch-size 32}, ...).
 */
public final class IngestBenchmark {

    private static final String[] VOCABULARY = ("pump valve controller sensor pressure temperature firmware gateway "
            + "cluster backup restore schedule operator console port certificate network switch router battery "
            + "voltage current motor bearing lubricant filter cartridge display alarm threshold calibration manual "
            + "install configure update replace inspect measure record report warning caution safety maintenance "
            + "interval daily weekly monthly annual service technician customer warranty module interface cable").split(" ");

    /** Fewest documents ingested before the measured phases (after the first one); the default is the corpus size. */
    private static final int WARMUP_DOCUMENTS = 20;

    /** Chunks of one warm-up pass of the raw embedding loop in jit-quiet mode (fixed mode: 64, one pass). */
    private static final int RAW_WARMUP_CHUNKS = 256;

    /**
     * How the phases are warmed up. {@code jit-quiet} (the default) repeats warm-up batches until the JIT compiler
     * threads used less than {@code jitMillisPer1000} ms of CPU per 1000 chunks of the last batch, at most
     * {@code maxBatches} batches or {@code maxSeconds} (6 and 60 s: with 3, the first round still measured 1.5-1.8
     * JIT CPU-s per 1000 chunks; a 4-round run stays under 7 minutes): the figures are then closer to a long backfill's
     * steady state, without the first compilations of per-document code, which a running job pays once. {@code fixed}
     * is one batch, as before.
     */
    record WarmUp(boolean untilJitQuiet, double jitMillisPer1000, int maxBatches, int maxSeconds) {
        static WarmUp from(Configuration conf) {
            String mode = conf.get(ConfigOptions.key("warmup").stringType().defaultValue("jit-quiet"));
            if (!mode.equals("jit-quiet") && !mode.equals("fixed")) {
                throw new IllegalArgumentException("--warmup takes jit-quiet or fixed, not " + mode);
            }
            return new WarmUp(mode.equals("jit-quiet"), BenchKafka.intArg(conf, "warmup-jit-ms", 500),
                    BenchKafka.intArg(conf, "warmup-max-batches", 6), BenchKafka.intArg(conf, "warmup-max-seconds", 60));
        }

        /** Whether to stop after batch {@code batch} (1-based) that compiled {@code jitMillis} for {@code chunks}, {@code seconds} into the warm-up. */
        boolean done(int batch, long jitMillis, long chunks, double seconds) {
            return !untilJitQuiet || jitMillis * 1000.0 / chunks < jitMillisPer1000 || batch >= maxBatches || seconds >= maxSeconds;
        }
    }

    /** The generated PDFs (measured documents, one first document, then warm-up and freshness ones) and their chunks. */
    private record Corpus(int documents, int pages, int warmupDocuments, List<byte[]> pdfs, List<String> chunkTexts, long warmupChunks) {}

    /** Generated once per benchmark run: every round uses the same PDFs (seeded), so need not generate them again. */
    private static Corpus corpusCache;

    /** CPU milliseconds the JIT compiler threads have used so far. */
    static long compilationMillis() {
        return Math.round(CpuUse.jitSeconds() * 1000);
    }

    private IngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args);
        List<String> parts = List.of(conf.get(ConfigOptions.key("parts").stringType().defaultValue("e2e,backfill,ocr")).split(","));
        int rounds = BenchKafka.intArg(conf, "rounds", 1);
        List<String> summary = new ArrayList<>();
        if (parts.contains("e2e")) {
            for (int r = 1; r <= rounds; r++) {
                String load = load();
                double[] f = endToEnd(new Configuration(conf));
                summary.add(String.format(Locale.ROOT, "e2e round %d (load %s): raw embedding %.1f chunks/s, end-to-end %.1f chunks/s "
                        + "sustained, ratio %.3f (target >= 0.8); from the first send %.1f chunks/s, ratio %.3f; freshness at half rate p50 %d ms, p99 %d ms (target <= 2000); "
                        + "warm-up %d batch(es) in %.0f s, cold first batch ratio %.2f, JIT in the measured phase %.1f CPU-s per 1000 chunks; "
                        + "cores busy outside this JVM and OpenSearch (raw before / end-to-end / raw after) %.2f / %.2f / %.2f",
                        r, load, f[0], f[1], f[1] / f[0], f[11], f[11] / f[0], (long) f[2], (long) f[3], (int) f[5], f[6], f[4] / f[0], f[7], f[8], f[9], f[10]));
                System.out.println(summary.get(summary.size() - 1));
            }
        }
        if (parts.contains("backfill")) {
            BackfillComparison.run(conf, rounds, summary);
        }
        if (parts.contains("ocr")) {
            Configuration ocr = new Configuration(conf);
            ocr.setString("documents", String.valueOf(BenchKafka.intArg(conf, "ocr-documents", 3)));
            ocr.setString("pages", String.valueOf(BenchKafka.intArg(conf, "ocr-pages", 20)));
            ocr.setString("rounds", String.valueOf(rounds));
            String load = load();
            List<double[]> rows = OcrBenchmark.run(ocr);
            for (int r = 0; r < rows.size(); r++) {
                double[] f = rows.get(r);
                summary.add(String.format(Locale.ROOT, "ocr round %d (load %s): ocr.threads=1 %.1f s, default %.1f s, ratio %.2f "
                        + "(target <= 0.6); new version %.1f s, cache ratio %.2f (target <= 0.3)", r + 1, load, f[0], f[2],
                        f[2] / f[0], f[3], f[3] / f[2]));
            }
        }
        System.out.println();
        System.out.println("== Issue 12 figures (load = 1-minute load average of the machine at the start) ==");
        summary.forEach(System.out::println);
        System.exit(0);
    }

    /** The machine's 1-minute load average now, to print beside a figure. */
    static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * Raw embedding throughput (mean of before and after the end-to-end phase), Kafka→searchable throughput on the
     * same chunks (sustained: from the first searchable to the last), freshness at half that rate: {raw chunks/s,
     * end-to-end chunks/s, freshness p50 ms, p99 ms,
     * end-to-end chunks/s of the first (cold) warm-up batch, warm-up batches, warm-up seconds, JIT CPU-s per 1000
     * chunks of the measured end-to-end phase, cores busy outside this JVM and OpenSearch in the raw-before, end-to-end
     * and raw-after phases, end-to-end chunks/s from the first send (with the first document's latency)}.
     */
    static double[] endToEnd(Configuration conf) throws Exception {
        int documents = BenchKafka.intArg(conf, "documents", 60);
        int pages = BenchKafka.intArg(conf, "pages", 4);
        int parallelism = BenchKafka.intArg(conf, "parallelism", 2);
        int freshnessSeconds = BenchKafka.intArg(conf, "freshness-seconds", 30);
        // As many documents as the measured phase, unless --warmup-documents says: after 20, the JIT compilers still
        // spent ~5 CPU-s per 1000 chunks of the end-to-end phase compiling PDFBox, Jackson and Flink code (2.7 after
        // 200), work a running job does once, while the raw loop's native ONNX code needs no warming.
        int warmupDocuments = Math.min(999, BenchKafka.intArg(conf, "warmup-documents", Math.max(WARMUP_DOCUMENTS, documents)));
        WarmUp warmUp = WarmUp.from(conf);
        String bootstrap = conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS);
        double[] figures = new double[12];
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = "bench-documents-" + run;
        String dlq = "bench-dlq-" + run;
        String alias = "bench-chunks-" + run;
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, topic);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        // The job's own checkpoint interval (10 s unless given): documents no longer wait for checkpoints, so the
        // figures are what a user of the defaults gets.

        // Corpus: generated PDFs of ~180 words a page (about one 256-token chunk per page), the same in every round.
        if (corpusCache == null || corpusCache.documents() != documents || corpusCache.pages() != pages
                || corpusCache.warmupDocuments() != warmupDocuments) {
            Random random = new Random(42);
            List<byte[]> pdfs = new ArrayList<>();
            for (int d = 0; d < documents + 1000; d++) {
                pdfs.add(pdf(random, pages));
            }
            corpusCache = new Corpus(documents, pages, warmupDocuments, pdfs, chunkTexts(conf, pdfs.subList(0, documents)),
                    chunkTexts(conf, pdfs.subList(documents + 1, documents + 1 + warmupDocuments)).size());
        }
        List<byte[]> corpus = corpusCache.pdfs();
        List<String> chunkTexts = corpusCache.chunkTexts();
        System.out.printf(Locale.ROOT, "Corpus: %d documents x %d pages -> %d chunks%n", documents, pages, chunkTexts.size());
        List<byte[]> warmupCorpus = corpus.subList(documents + 1, documents + 1 + warmupDocuments);
        long warmupChunks = corpusCache.warmupChunks();

        // 1. Raw in-process embedding throughput on the same chunks, before the end-to-end phase and again after it:
        // the ratio is taken against their mean, so a load that drifts during the run does not pass for an effect.
        EmbeddingModel model = EmbeddingModels.create(conf);
        // The raw loop's batch is its own (--raw-batch-size, 32 unless given), not the job's ingest.embed.batch-size: a
        // smaller job batch must not make the yardstick slower too.
        int batch = BenchKafka.intArg(conf, "raw-batch-size", 32);
        warmUpRaw(model, chunkTexts, batch, warmUp);
        OpenSearchClient search = OpenSearchClients.create(conf);
        CpuUse cpu = CpuUse.now(search);
        double rawBefore = rawThroughput(model, chunkTexts, batch);
        CpuUse rawBeforeCpu = CpuUse.now(search).since(cpu);
        System.out.printf(Locale.ROOT, "Raw embedding (before): %.1f chunks/s%n", rawBefore);

        try (Admin admin = BenchKafka.admin(conf); KafkaProducer<String, String> producer = BenchKafka.producer(conf)) {
            admin.createTopics(List.of(new NewTopic(topic, parallelism, (short) 1), new NewTopic(dlq, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            conf.set(IngestOptions.PARALLELISM, parallelism);
            IngestJob.configure(env, conf);
            KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                    .setBootstrapServers(bootstrap).setTopics(topic).setGroupId("bench-" + run)
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setDeserializer(new RawDocumentDeserializer()).build();
            KafkaSink<FailedDocument> dlqSink = KafkaSink.<FailedDocument>builder().setBootstrapServers(bootstrap)
                    .setRecordSerializer(new DeadLetterSerializer(dlq)).setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE).build();
            new IngestJob(source, "Kafka: " + topic, dlqSink, new DiscardingSink<>(), conf, -1).build(env);
            JobClient job = env.executeAsync("streamrag-ingest-benchmark");
            try {
                // Warm-up document: the job has loaded its model and created the index once it is searchable. Then a
                // few more, so the phases below measure a warmed-up job (a first batch also JIT-compiles PDFBox, Kryo
                // and the clients: seen in thread dumps as both compiler threads busy through the end-to-end phase).
                producer.send(BenchKafka.pdfEvent(topic, "bench", "warmup", 1, corpus.get(documents)));
                waitForChunks(search, alias, List.of("warmup"), Duration.ofMinutes(3));
                // Everything in this run's private index: the phases below poll its total against a running target.
                // A count of all chunks costs OpenSearch ~1.3 CPU-ms, one over the batch's 200 document ids ~3.3: at 10
                // polls a second, ~0.2 CPU-s per 1000 chunks of the phase it measures, counted against the job.
                long warmupDocChunks = chunkTexts(conf, List.of(corpus.get(documents))).size();
                long indexed = awaitIndexed(search, alias, warmupDocChunks, Duration.ofMinutes(3), "Warm-up document");
                // Batches like the measured phase (all produced at once, timed until every chunk is searchable); the
                // first one's rate is the cold figure. In jit-quiet mode more follow (the same PDFs under new ids)
                // until the compilers are quiet.
                long warmStart = System.nanoTime();
                int batches = 0;
                while (true) {
                    batches++;
                    List<String> warmup = new ArrayList<>();
                    long jit0 = compilationMillis();
                    long t0 = System.nanoTime();
                    for (int w = 0; w < warmupDocuments; w++) {
                        String id = "warmup-" + batches + "-" + w;
                        warmup.add(id);
                        producer.send(BenchKafka.pdfEvent(topic, "bench", id, 1, warmupCorpus.get(w)));
                    }
                    producer.flush();
                    indexed = awaitIndexed(search, alias, indexed + warmupChunks, Duration.ofMinutes(20), "Warm-up batch " + batches);
                    double s = (System.nanoTime() - t0) / 1e9;
                    long jitMillis = compilationMillis() - jit0;
                    if (batches == 1) {
                        figures[4] = warmupChunks / s;
                    }
                    System.out.printf(Locale.ROOT, "Warm-up batch %d: %d documents, %d chunks in %.1f s = %.1f chunks/s; "
                            + "JIT compiler threads %d CPU-ms (%.0f per 1000 chunks)%n", batches, warmupDocuments, warmupChunks, s,
                            warmupChunks / s, jitMillis, jitMillis * 1000.0 / warmupChunks);
                    if (warmUp.done(batches, jitMillis, warmupChunks, (System.nanoTime() - warmStart) / 1e9)) {
                        break;
                    }
                }
                figures[5] = batches;
                figures[6] = (System.nanoTime() - warmStart) / 1e9;
                System.out.printf(Locale.ROOT, "Warm-up (%s): %d batch(es) in %.1f s%n",
                        warmUp.untilJitQuiet() ? "until the JIT is quiet" : "fixed", batches, figures[6]);

                // 2. End-to-end throughput: everything produced at once, until every chunk is searchable (no refresh
                // forced: what a user sees; forcing one every poll made OpenSearch write a segment each time).
                List<String> ids = new ArrayList<>();
                cpu = CpuUse.now(search);
                long start = System.nanoTime();
                for (int d = 0; d < documents; d++) {
                    String id = "doc-" + d;
                    ids.add(id);
                    producer.send(BenchKafka.pdfEvent(topic, "bench", id, 1, corpus.get(d)));
                }
                producer.flush();
                long expected = chunkTexts.size();
                Searchable phase = awaitSearchable(search, alias, indexed, indexed + expected, start, Duration.ofMinutes(20),
                        "End-to-end phase");
                indexed += phase.chunks();
                double seconds = (phase.lastNanos() - start) / 1e9;
                CpuUse e2eCpu = CpuUse.now(search).since(cpu);
                double burstPerSecond = expected / seconds;
                double e2ePerSecond = phase.sustainedPerSecond();
                // Half of this (the freshness phase's rate) is half the sustained rate, the pipeline's maximum.
                double docsPerSecond = e2ePerSecond * documents / expected;
                System.out.printf(Locale.ROOT, "End-to-end: %d chunks in %.1f s = %.1f chunks/s from the first send; "
                        + "sustained %.1f chunks/s (%.2f documents/s) from the first %d searchable (+%.2f s) to the last%n",
                        expected, seconds, burstPerSecond, e2ePerSecond, docsPerSecond, phase.firstCount(),
                        (phase.firstNanos() - start) / 1e9);
                cpu = CpuUse.now(search);
                double rawAfter = rawThroughput(model, chunkTexts, batch); // the job is idle now
                CpuUse rawAfterCpu = CpuUse.now(search).since(cpu);
                double rawPerSecond = (rawBefore + rawAfter) / 2;
                System.out.printf(Locale.ROOT, "Raw embedding (after): %.1f chunks/s; mean %.1f chunks/s%n", rawAfter, rawPerSecond);
                System.out.printf(Locale.ROOT, "Ratio end-to-end / raw embedding: sustained %.3f, from the first send %.3f "
                        + "(cold, first warm-up batch: %.2f)%n", e2ePerSecond / rawPerSecond, burstPerSecond / rawPerSecond,
                        figures[4] / rawPerSecond);
                // CPU per chunk does not depend on the machine's other load the way the wall-clock ratio does.
                System.out.println("CPU per 1000 chunks, raw before: " + rawBeforeCpu.perThousand(expected));
                System.out.println("CPU per 1000 chunks, end-to-end: " + e2eCpu.perThousand(expected));
                System.out.println("CPU per 1000 chunks, raw after:  " + rawAfterCpu.perThousand(expected));
                figures[0] = rawPerSecond;
                figures[1] = e2ePerSecond;
                figures[7] = e2eCpu.jit() * 1000.0 / expected;
                figures[8] = rawBeforeCpu.otherCores();
                figures[9] = e2eCpu.otherCores();
                figures[10] = rawAfterCpu.otherCores();
                figures[11] = burstPerSecond;

                // 3. Freshness at half the end-to-end throughput.
                double rate = docsPerSecond / 2;
                int count = Math.max(5, (int) (rate * freshnessSeconds));
                long intervalNanos = (long) (1e9 / rate);
                Map<String, Long> producedAt = new HashMap<>();
                List<Long> lags = new ArrayList<>();
                Map<Long, String> slowest = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
                long phaseStart = System.currentTimeMillis();
                cpu = CpuUse.now(search);
                long next = System.nanoTime();
                int sent = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(freshnessSeconds + 300);
                while ((sent < count || !producedAt.isEmpty()) && System.nanoTime() < deadline) {
                    if (sent < count && System.nanoTime() >= next) {
                        String id = "fresh-" + sent;
                        producedAt.put(id, System.currentTimeMillis());
                        producer.send(BenchKafka.pdfEvent(topic, "bench", id, 1, corpus.get(documents + 1 + (sent % 999))));
                        producer.flush();
                        sent++;
                        next += intervalNanos;
                    }
                    if (!producedAt.isEmpty()) {
                        for (String id : visibleDocuments(search, alias, new ArrayList<>(producedAt.keySet()), pages)) {
                            long produced = producedAt.remove(id);
                            long lag = System.currentTimeMillis() - produced;
                            lags.add(lag);
                            slowest.put(lag, id + " produced at +" + (produced - phaseStart) + " ms");
                        }
                    }
                    Thread.sleep(50);
                }
                lags.sort(Long::compare);
                System.out.printf(Locale.ROOT, "Freshness at %.2f documents/s (%d documents, %d seen): p50 %d ms, p99 %d ms%n",
                        rate, count, lags.size(), percentile(lags, 0.50), percentile(lags, 0.99));
                // Per 1000 of ~one chunk a page; its OpenSearch figure includes this loop's probe (a terms query over the
                // pending ids every 50 ms).
                System.out.println("CPU per 1000 chunks, freshness:  " + CpuUse.now(search).since(cpu).perThousand((long) count * pages));
                System.out.println("Slowest: " + slowest.entrySet().stream().limit(3)
                        .map(e -> e.getValue() + ": " + e.getKey() + " ms").collect(Collectors.joining("; ")));
                figures[2] = percentile(lags, 0.50);
                figures[3] = lags.size() < count ? Double.POSITIVE_INFINITY : percentile(lags, 0.99);
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
                admin.deleteTopics(List.of(topic, dlq));
                search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)).ignoreUnavailable(true));
                OpenSearchClients.close(search);
            }
        }
        return figures;
    }


    /** Warms the raw embedding loop up: one pass of 64 chunks (fixed), or passes until the JIT is quiet. */
    private static void warmUpRaw(EmbeddingModel model, List<String> texts, int batch, WarmUp warmUp) {
        List<String> pass = texts.subList(0, Math.min(warmUp.untilJitQuiet() ? RAW_WARMUP_CHUNKS : 64, texts.size()));
        long start = System.nanoTime();
        for (int passes = 1; ; passes++) {
            long jit0 = compilationMillis();
            embed(model, pass, batch);
            long jitMillis = compilationMillis() - jit0;
            if (warmUp.done(passes, jitMillis, pass.size(), (System.nanoTime() - start) / 1e9)) {
                System.out.printf(Locale.ROOT, "Raw embedding warm-up: %d pass(es) of %d chunks in %.1f s, JIT compiler threads %d CPU-ms in the last%n",
                        passes, pass.size(), (System.nanoTime() - start) / 1e9, jitMillis);
                return;
            }
        }
    }

    private static double rawThroughput(EmbeddingModel model, List<String> texts, int batch) {
        long t0 = System.nanoTime();
        embed(model, texts, batch);
        return texts.size() / ((System.nanoTime() - t0) / 1e9);
    }

    static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static void embed(EmbeddingModel model, List<String> texts, int batch) {
        for (int i = 0; i < texts.size(); i += batch) {
            model.embedAll(texts.subList(i, Math.min(texts.size(), i + batch)).stream().map(TextSegment::from).collect(Collectors.toList()));
        }
    }

    /** The chunks the job will make of the corpus: same extractor, same chunker settings. */
    private static List<String> chunkTexts(Configuration conf, List<byte[]> corpus) throws Exception {
        DocumentExtractor extractor = new DocumentExtractor(ExtractionLimits.from(conf));
        Chunker chunker = new Chunker(conf.get(IngestOptions.CHUNK_MAX_TOKENS), conf.get(IngestOptions.CHUNK_OVERLAP_TOKENS),
                conf.get(IngestOptions.CHUNK_PAGE_BREAK_MIN_TOKENS));
        List<String> out = new ArrayList<>();
        for (byte[] pdf : corpus) {
            ExtractedDocument doc = extractor.extract(pdf, ContentTypes.PDF);
            DocumentTask task = new DocumentTask();
            task.documentId = "x";
            task.tenant = "bench";
            for (Chunk c : chunker.chunk(task, doc)) {
                out.add(c.text);
            }
        }
        return out;
    }

    /** A generated PDF of ~180 words a page (about one 256-token chunk per page). */
    static byte[] pdf(Random random, int pages) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (int p = 0; p < pages; p++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 10);
                    cs.setLeading(13);
                    cs.newLineAtOffset(40, 800);
                    for (int line = 0; line < 15; line++) {
                        StringBuilder sb = new StringBuilder();
                        for (int w = 0; w < 12; w++) {
                            sb.append(VOCABULARY[random.nextInt(VOCABULARY.length)]).append(' ');
                        }
                        cs.showText(sb.toString().strip() + ".");
                        cs.newLine();
                    }
                    cs.endText();
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }



    /** Chunks searchable now in the run's own index (no refresh forced). */
    private static long countAll(OpenSearchClient client, String alias) throws IOException {
        return client.count(c -> c.index(alias)).count();
    }

    /** Polls the run's index every 100 ms until it holds {@code target} chunks; returns the count reached. */
    /**
     * A phase's chunks as they became searchable: the first poll that saw any of them (when, and how many) and the
     * poll that saw them all.
     */
    record Searchable(long chunks, long firstNanos, long firstCount, long lastNanos) {
        /**
         * Chunks per second from the first searchable to the last: the pipeline's throughput without the time the
         * first document takes to get through it and the index's first refresh (its latency, which the freshness
         * figures measure). Both ends are polls of the same count, each up to a poll interval after the refresh
         * that showed its chunks, so the interval's error cancels out.
         */
        double sustainedPerSecond() {
            return (chunks - firstCount) / ((lastNanos - firstNanos) / 1e9);
        }
    }

    private static Searchable awaitSearchable(OpenSearchClient client, String alias, long base, long target, long startNanos,
            Duration timeout, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long firstNanos = -1;
        long firstCount = 0;
        long indexed;
        while ((indexed = countAll(client, alias)) < target) {
            if (firstNanos < 0 && indexed > base) {
                firstNanos = System.nanoTime();
                firstCount = indexed - base;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": " + indexed + " of " + target + " chunks searchable after " + timeout);
            }
            Thread.sleep(100);
        }
        long lastNanos = System.nanoTime();
        if (firstNanos < 0) { // all at once: no rate apart from the one from the first send
            firstNanos = startNanos;
        }
        return new Searchable(indexed - base, firstNanos, firstCount, lastNanos);
    }

    private static long awaitIndexed(OpenSearchClient client, String alias, long target, Duration timeout, String what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long indexed;
        while ((indexed = countAll(client, alias)) < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": " + indexed + " of " + target + " chunks searchable after " + timeout);
            }
            Thread.sleep(100);
        }
        return indexed;
    }

    private static long countChunks(OpenSearchClient client, String alias, List<String> ids, boolean refresh) throws IOException {
        if (refresh) {
            client.indices().refresh(r -> r.index(alias));
        }
        return client.count(c -> c.index(alias).query(q -> q.terms(t -> t.field(ChunkIndex.DOCUMENT_ID)
                .terms(v -> v.value(ids.stream().map(FieldValue::of).collect(Collectors.toList())))))).count();
    }

    private static void waitForChunks(OpenSearchClient client, String alias, List<String> ids, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (countChunks(client, alias, ids, true) > 0) {
                    return;
                }
            } catch (Exception e) {
                // index not there yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Warm-up document not searchable within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    /** Documents among {@code ids} that are searchable now (no refresh forced: what a user would see). */
    private static List<String> visibleDocuments(OpenSearchClient client, String alias, List<String> ids, int minChunks) throws IOException {
        var response = client.search(s -> s.index(alias).size(0)
                .query(q -> q.terms(t -> t.field(ChunkIndex.DOCUMENT_ID)
                        .terms(v -> v.value(ids.stream().map(FieldValue::of).collect(Collectors.toList())))))
                .aggregations("docs", a -> a.terms(t -> t.field(ChunkIndex.DOCUMENT_ID).size(ids.size()))), Void.class);
        List<String> out = new ArrayList<>();
        for (StringTermsBucket b : response.aggregations().get("docs").sterms().buckets().array()) {
            if (b.docCount() >= minChunks) {
                out.add(b.key());
            }
        }
        return out;
    }
}
