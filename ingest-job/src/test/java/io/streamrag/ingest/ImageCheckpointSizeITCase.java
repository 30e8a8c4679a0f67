package io.streamrag.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.IngestOutcome;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.pipeline.IngestSinks;
import io.streamrag.ingest.records.RawDocument;
import io.streamrag.ingest.testing.TestDocuments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoints while image-heavy documents are OCR'd hold at most {@code ocr.capacity} images, not the documents'
 * pictures: the largest checkpoint stays well below the bytes of all images in flight.
 */
class ImageCheckpointSizeITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = new KafkaExtension();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final int DOCUMENTS = 3;

    @TempDir
    Path dir;
    private static final int IMAGES = 8;

    @Test
    void checkpointsHoldAFewImagesNotWholeDocuments(@InjectMiniCluster MiniCluster cluster) throws Exception {
        String documents = KAFKA.createTopic("ckpt-documents", 1);
        String outcomes = KAFKA.createTopic("ckpt-outcomes", 1);
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        conf.set(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamRagOptions.DOCUMENTS_TOPIC, documents);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, KAFKA.createTopic("ckpt-dlq", 1));
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, OPENSEARCH.uniqueName("ckpt"));
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "ckpt-itcase-" + outcomes);
        conf.set(IngestOptions.OCR_CAPACITY, 4);
        conf.set(IngestOptions.ALLOWED_ROOTS, dir.toString());

        Random random = new Random(7);
        long imageBytes = 0;
        KafkaSource<RawDocument> source = KafkaSource.<RawDocument>builder()
                .setBootstrapServers(KAFKA.bootstrapServers()).setTopics(documents).setGroupId("ckpt-" + documents)
                .setStartingOffsets(OffsetsInitializer.earliest()).setDeserializer(new RawDocumentDeserializer()).build();
        conf.set(IngestOptions.PARALLELISM, 1);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        IngestJob.configure(env, conf);
        new IngestJob(source, "Kafka: " + documents, IngestSinks.deadLetterSink(conf), IngestSinks.outcomeSink(conf), conf, -1).build(env);
        JobClient job = env.executeAsync("image-checkpoint-size-itcase");
        long maxCheckpoint = 0;
        try {
            for (int d = 0; d < DOCUMENTS; d++) {
                long[] size = new long[1];
                byte[] pdf = imageHeavyPdf(d, random, size);
                imageBytes += size[0];
                // By reference, as large documents come: inline content would wait in the quarantine's state for a checkpoint.
                Path file = Files.write(dir.resolve("manual-" + d + ".pdf"), pdf);
                ObjectNode e = Json.MAPPER.createObjectNode().put("documentId", "manual-" + d).put("tenant", "acme")
                        .put("version", 1).put("contentType", "application/pdf").put("uri", file.toUri().toString());
                KAFKA.send(documents, "manual-" + d, Json.toString(e));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            List<IngestOutcome> done = List.of();
            while (done.size() < DOCUMENTS && System.nanoTime() < deadline) {
                for (AbstractCheckpointStats c : cluster.getExecutionGraph(job.getJobID()).get()
                        .getCheckpointStatsSnapshot().getHistory().getCheckpoints()) {
                    maxCheckpoint = Math.max(maxCheckpoint, c.getStateSize());
                }
                done = KAFKA.readAllCommitted(outcomes, Duration.ofMillis(300)).stream()
                        .map(r -> Json.fromString(r.value(), IngestOutcome.class)).collect(Collectors.toList());
            }
            assertThat(done).extracting(o -> o.outcome).containsOnly(Outcome.INDEXED).hasSize(DOCUMENTS);
            System.out.printf("Images %d x %d, %d bytes in all; largest checkpoint %d bytes%n", DOCUMENTS, IMAGES, imageBytes, maxCheckpoint);
            assertThat(maxCheckpoint).isPositive().isLessThan(imageBytes / 2);
        } finally {
            job.cancel().get();
        }
    }

    /** {@code IMAGES} pages, each with a line of text and a distinct picture (words and a noisy band, ~40 KB PNG). */
    private static byte[] imageHeavyPdf(int d, Random random, long[] imageBytes) throws Exception {
        try (PDDocument doc = new PDDocument()) {
            for (int i = 0; i < IMAGES; i++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                BufferedImage img = TestDocuments.wordsImage("FIGURE " + d + "-" + i + " VALVE", 1000, 300, 80);
                for (int y = 250; y < 300; y++) {
                    for (int x = 0; x < 1000; x++) {
                        int g = random.nextInt(256);
                        img.setRGB(x, y, (g << 16) | (g << 8) | g);
                    }
                }
                imageBytes[0] += TestDocuments.png(img).length;
                try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                    cs.beginText();
                    cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 11);
                    cs.newLineAtOffset(50, 780);
                    cs.showText("Figure " + i + " of manual " + d + " shows the valve assembly and its fittings.");
                    cs.endText();
                    cs.drawImage(LosslessFactory.createFromImage(doc, img), 50, 400, 500, 150);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }
}
