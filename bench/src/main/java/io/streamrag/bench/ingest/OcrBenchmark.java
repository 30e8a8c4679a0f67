package io.streamrag.bench.ingest;

import io.streamrag.common.config.Configs;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
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
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * OCR benchmark against the real local Kafka and OpenSearch (not a test): image-heavy PDFs (one screenshot of text per
 * page) through the ingest job on a MiniCluster, time from produce to every document's outcome, with
 * {@code ocr.threads=1} and with the default (one tesseract per core) side by side, then a second version of the same
 * documents (text layer changed, images unchanged: the OCR cache warm). Options: {@code --documents 3 --pages 20
 * --rounds 2 --parallelism 2} plus any job option (the job's own checkpoint interval unless
 * {@code --ingest.checkpoint-interval} is given: documents no longer wait for checkpoints).
 */
public final class OcrBenchmark {

    private static final String[] WORDS = ("pump valve controller sensor pressure temperature firmware gateway cluster backup "
            + "restore schedule operator console port certificate network switch router battery voltage current motor bearing "
            + "lubricant filter cartridge display alarm threshold calibration install configure update replace inspect").split(" ");

    /** Outcomes per run id, written by the job's tasks in this JVM (MiniCluster). */
    private static final Map<String, Map<String, DocumentOutcome>> OUTCOMES = new ConcurrentHashMap<>();

    private OcrBenchmark() {}

    public static void main(String[] args) throws Exception {
        run(Configs.fromArgs(args));
        System.exit(0);
    }

    /**
     * Runs the rounds {@code conf} asks for and prints each; returns per round the seconds of {@code ocr.threads=1}
     * first and new version, then of the default first and new version.
     */
    static List<double[]> run(Configuration conf) throws Exception {
        conf = new Configuration(conf);
        int documents = BenchKafka.intArg(conf, "documents", 3);
        int pages = BenchKafka.intArg(conf, "pages", 20);
        int rounds = BenchKafka.intArg(conf, "rounds", 2);
        int parallelism = BenchKafka.intArg(conf, "parallelism", 2);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String alias = "bench-ocr-" + run;
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.TESSERACT);
        conf.set(IngestOptions.PARALLELISM, parallelism);
        if (!conf.contains(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY)) {
            // Images waiting in the OCR queue are checkpoint state: past a few MB they outgrow the in-memory checkpoints.
            conf.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                    java.nio.file.Files.createTempDirectory("streamrag-ocr-bench").toUri().toString());
        }

        Random random = new Random(7);
        List<byte[]> v1 = new ArrayList<>();
        List<byte[]> v2 = new ArrayList<>();
        List<List<BufferedImage>> screenshots = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            List<BufferedImage> images = new ArrayList<>();
            for (int p = 0; p < pages; p++) {
                images.add(screenshot(random));
            }
            screenshots.add(images);
            v1.add(pdf(images, "Edition 1"));
            v2.add(pdf(images, "Edition 2, revised wording"));
        }
        byte[] warmup = pdf(List.of(screenshot(random)), "Warm-up");
        int defaultThreads = OcrSettings.from(new Configuration()).threads();
        System.out.printf(Locale.ROOT, "Corpus: %d PDFs x %d pages, one screenshot of text each (%d images, %.1f MB of PDF); "
                        + "parallelism %d; checkpoint interval %s; default ocr.threads = %d (cores)%n", documents, pages, documents * pages,
                v1.stream().mapToLong(b -> b.length).sum() / 1e6, parallelism, conf.get(IngestOptions.CHECKPOINT_INTERVAL), defaultThreads);

        List<double[]> results = new ArrayList<>();
        OpenSearchClient search = OpenSearchClients.create(conf);
        List<String> topics = new ArrayList<>();
        try (Admin admin = BenchKafka.admin(conf); KafkaProducer<String, String> producer = BenchKafka.producer(conf)) {
            for (int r = 1; r <= rounds; r++) {
                double[] one = measure(conf, admin, producer, topics, run + "-r" + r + "-t1", 1, v1, v2, warmup, parallelism);
                requireImageText(search, alias, "bench-" + run + "-r" + r + "-t1", documents);
                double[] all = measure(conf, admin, producer, topics, run + "-r" + r + "-t0", 0, v1, v2, warmup, parallelism);
                requireImageText(search, alias, "bench-" + run + "-r" + r + "-t0", documents);
                results.add(new double[] {one[0], one[1], all[0], all[1]});
                System.out.printf(Locale.ROOT, "Round %d: ocr.threads=1 first %.1f s, new version %.1f s | default first %.1f s, "
                                + "new version %.1f s | default/threads=1 %.2f (target <= 0.6), new version/first %.2f (target <= 0.3)%n",
                        r, one[0], one[1], all[0], all[1], all[0] / one[0], all[1] / all[0]);
            }
        } finally {
            try (Admin admin = BenchKafka.admin(conf)) {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
            search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)).ignoreUnavailable(true));
            OpenSearchClients.close(search);
        }
        return results;
    }

    /** One job with {@code threads}: warm-up, then version 1 of every document, then version 2; seconds of each. */
    private static double[] measure(Configuration base, Admin admin, KafkaProducer<String, String> producer, List<String> topics,
                                    String id, int threads, List<byte[]> v1, List<byte[]> v2, byte[] warmup, int parallelism)
            throws Exception {
        Configuration conf = new Configuration(base);
        conf.set(IngestOptions.OCR_THREADS, threads);
        String topic = "bench-ocr-" + id;
        String tenant = "bench-" + id; // a tenant per job: no cache entry carries over from another job
        // Inline image-heavy PDFs are over Kafka's default 1 MB per record.
        admin.createTopics(List.of(new NewTopic(topic, parallelism, (short) 1).configs(Map.of("max.message.bytes", String.valueOf(16 << 20)))))
                .all().get(30, TimeUnit.SECONDS);
        topics.add(topic);
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, topic);
        Map<String, DocumentOutcome> outcomes = new ConcurrentHashMap<>();
        OUTCOMES.put(id, outcomes);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS)).setTopics(topic).setGroupId(topic)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RawDocumentDeserializer()).build();
        new IngestJob(source, "Kafka: " + topic, new DiscardingSink<>(), new DiscardingSink<>(), conf, -1)
                .build(env).sinkTo(new OutcomeRecorder(id)).name("Record outcomes");
        JobClient job = env.executeAsync("streamrag-ocr-benchmark-" + id);
        try {
            producer.send(BenchKafka.pdfEvent(topic, tenant, "warmup", 1, warmup)).get(30, TimeUnit.SECONDS);
            await(outcomes, List.of("warmup@1"), TimeUnit.MINUTES.toNanos(3));
            double[] seconds = new double[2];
            for (int version = 1; version <= 2; version++) {
                List<byte[]> docs = version == 1 ? v1 : v2;
                List<String> expected = new ArrayList<>();
                long start = System.nanoTime();
                for (int d = 0; d < docs.size(); d++) {
                    producer.send(BenchKafka.pdfEvent(topic, tenant, "manual-" + d, version, docs.get(d))).get(30, TimeUnit.SECONDS);
                    expected.add("manual-" + d + "@" + version);
                }
                producer.flush();
                await(outcomes, expected, TimeUnit.MINUTES.toNanos(15));
                seconds[version - 1] = (System.nanoTime() - start) / 1e9;
            }
            return seconds;
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
            OUTCOMES.remove(id);
        }
    }

    private static void await(Map<String, DocumentOutcome> outcomes, List<String> expected, long timeoutNanos) throws Exception {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!outcomes.keySet().containsAll(expected)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("No outcome for some of " + expected + " in time; have " + outcomes.keySet());
            }
            Thread.sleep(50);
        }
        for (String key : expected) {
            DocumentOutcome o = outcomes.get(key);
            if (o.outcome != Outcome.INDEXED) {
                throw new IllegalStateException("Expected " + key + " indexed, got " + o);
            }
        }
    }

    /**
     * Fails the run unless the tenant's documents got text from their images: a failed read still leaves the document
     * INDEXED (with its text layer), so without tesseract, or with an --ingest.ocr.language it lacks, every figure
     * would time nothing and the warm cache would hold nothing. The words are screenshot words no text layer has.
     */
    private static void requireImageText(OpenSearchClient search, String alias, String tenant, int documents) throws Exception {
        search.indices().refresh(r -> r.index(alias));
        long documentsWithImageText = search.search(s -> s.index(alias).size(0)
                        .query(q -> q.bool(b -> b.filter(f -> f.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(tenant))))
                                .must(m -> m.match(t -> t.field(ChunkIndex.TEXT).query(FieldValue.of("lubricant cartridge calibration bearing voltage threshold"))))))
                        .aggregations("documents", a -> a.cardinality(c -> c.field(ChunkIndex.DOCUMENT_ID))), Void.class)
                .aggregations().get("documents").cardinality().value();
        if (documentsWithImageText < documents) {
            throw new IllegalStateException("Only " + documentsWithImageText + " of " + documents + " documents of " + tenant
                    + " have text read from their screenshots: OCR failed (is tesseract installed, with the language of "
                    + IngestOptions.OCR_LANGUAGE.key() + "?); the timings would not measure OCR");
        }
    }

    /** A screenshot of a terminal-like text block: distinct words on every image, so nothing is cached in a first ingest. */
    private static BufferedImage screenshot(Random random) {
        BufferedImage img = new BufferedImage(1100, 420, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 26));
        for (int line = 0; line < 10; line++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 7; w++) {
                sb.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            sb.append(random.nextInt(10_000));
            g.drawString(sb.toString(), 30, 40 + line * 38);
        }
        g.dispose();
        return img;
    }

    /** One page per screenshot, with a line of text-layer words ({@code edition} differs between versions). */
    private static byte[] pdf(List<BufferedImage> images, String edition) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (int p = 0; p < images.size(); p++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                PDImageXObject picture = LosslessFactory.createFromImage(doc, images.get(p));
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                    cs.newLineAtOffset(40, 800);
                    cs.showText(edition + ", page " + (p + 1) + ": the console output below shows the service status.");
                    cs.endText();
                    cs.drawImage(picture, 40, 500, 520, 199);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }




    /** Records each outcome by documentId@version for the benchmark's thread to await. */
    private static final class OutcomeRecorder implements Sink<DocumentOutcome> {
        private static final long serialVersionUID = 1L;
        private final String id;

        OutcomeRecorder(String id) {
            this.id = id;
        }

        @Override
        public SinkWriter<DocumentOutcome> createWriter(WriterInitContext context) {
            Map<String, DocumentOutcome> target = OUTCOMES.get(id);
            return new SinkWriter<>() {
                @Override
                public void write(DocumentOutcome o, Context ctx) {
                    target.put(o.documentId + "@" + o.version, o);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
