package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.embedding.OnnxMiniLm;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.testing.ResourceCensus;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.IngestOptions.OcrProvider;
import io.streamrag.ingest.extract.OcrPools;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.fetch.FetchSettings;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;

import com.sun.net.httpserver.HttpServer;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failover re-creates every operator in the same TaskManager JVM: each operator here that holds threads, clients,
 * processes or native memory is opened, used and closed {@value #CYCLES} times and must leave the JVM as it found it
 * (threads by kind, file descriptors, child processes, static pools). The closed operators stay referenced until the
 * end, so only their {@code close()}, not the garbage collector, can have freed what they held.
 */
class ReopenLeakTest {

    static final int CYCLES = 20;
    /** How long closed pools and killed processes get to end. */
    static final Duration SETTLE = Duration.ofSeconds(20);

    private static HttpServer server;
    private static String base;
    /** A loopback port nothing listens on: clients open without a server. */
    private static int closedPort;

    @TempDir
    static Path dir;

    /** One run of an operator: open, use, close; returns the closed harness (kept referenced by the caller). */
    private interface Cycle {
        Object run() throws Exception;
    }

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/doc.txt", ex -> {
            byte[] body = "plain words".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static Map<String, Integer> holders() {
        return Map.of("OCR pools", OcrPools.size(), "ONNX sessions", OnnxMiniLm.sessions());
    }

    /**
     * One warm-up cycle (JVM-wide singletons such as the process reaper start once), a census, {@value #CYCLES} more
     * cycles, and a census that holds nothing new.
     */
    private static void assertClosedOperatorsHoldNothing(Cycle cycle) throws Exception {
        List<Object> closed = new ArrayList<>();
        closed.add(cycle.run());
        // The fetch server's side of a connection is the fixture's (it closes it when it next reads); the client's counts.
        ResourceCensus baseline = ResourceCensus.take(ReopenLeakTest::holders, Set.of(), Set.of(server.getAddress().getPort()));
        for (int i = 0; i < CYCLES; i++) {
            closed.add(cycle.run());
        }
        ResourceCensus.awaitBaseline(baseline, ReopenLeakTest::holders, SETTLE);
        assertThat(closed).hasSize(CYCLES + 1);
    }

    @Test
    void fetchGivesBackItsHttpClient() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.FETCH_ALLOWED_HOSTS, List.of("127.0.0.1"));
        conf.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("127.0.0.1:" + server.getAddress().getPort()));
        FetchSettings settings = FetchSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new FetchContent(settings)));
            h.open();
            h.processElement(task("doc", base + "/doc.txt"), 1);
            assertThat(h.extractOutputValues()).hasSize(1); // fetched over a connection the client keeps
            h.close();
            return h;
        });
    }

    @Test
    void ocrKillsTheTesseractItIsWaitingForAndEndsItsPool() throws Exception {
        // A tesseract that never finishes: the failover strikes while it reads.
        Path hanging = dir.resolve("hanging-tesseract");
        Files.writeString(hanging, "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(hanging, PosixFilePermissions.fromString("rwx------"));
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_PROVIDER, OcrProvider.TESSERACT);
        conf.set(IngestOptions.OCR_TESSERACT_COMMAND, hanging.toString());
        conf.set(IngestOptions.OCR_THREADS, 2);
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse("1023k")); // a pool of its own
        OcrSettings settings = OcrSettings.from(conf);
        long none = ProcessHandle.current().children().count();
        assertClosedOperatorsHoldNothing(() -> {
            // The last cycle's tesseract is gone (a killed process is reaped a moment later), so a new child is this one.
            awaitChildren(none, "the last tesseract ended");
            var h = ocrHarness(new OcrImages(settings));
            h.open();
            h.processElement(ocrDocument(1), 1);
            h.processElement(ocrImage(0, 1), 1);
            awaitChildren(none + 1, "tesseract started");
            h.close();
            return h;
        });
    }

    @Test
    void visionOcrGivesBackItsHttpClient() throws Exception {
        Configuration conf = new Configuration();
        conf.set(IngestOptions.OCR_PROVIDER, OcrProvider.VISION);
        conf.set(IngestOptions.VISION_BASE_URL, "http://127.0.0.1:" + closedPort + "/v1");
        conf.set(IngestOptions.VISION_MODEL, "stub");
        conf.set(IngestOptions.OCR_CACHE_SIZE, MemorySize.parse("1021k"));
        OcrSettings settings = OcrSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            var h = ocrHarness(new OcrImages(settings));
            h.open();
            h.close();
            return h;
        });
    }

    @Test
    void inProcessEmbeddingReleasesItsOnnxSession() throws Exception {
        EmbeddingSettings onnx = EmbeddingSettings.from(new Configuration());
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<>(
                    new EmbedChunks(onnx, 4, 60_000, IngestOptions.embedBackoff(new Configuration())));
            h.open();
            h.processElement(chunked("doc", 2), 1);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(h.extractOutputValues()).hasSize(1);
            h.close();
            return h;
        });
    }

    @Test
    void remoteEmbeddingGivesBackItsHttpClient() throws Exception {
        EmbeddingSettings remote = new EmbeddingSettings(Provider.OPENAI, "http://127.0.0.1:" + closedPort + "/v1", "stub",
                "EMBEDDING_API_KEY", 3, 0, 1);
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<>(
                    new EmbedChunks(remote, 4, 60_000, IngestOptions.embedBackoff(new Configuration())));
            h.open();
            h.close();
            return h;
        });
    }

    @Test
    void versionLookupClosesItsOpenSearchClient() throws Exception {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, "http://127.0.0.1:" + closedPort);
        IndexSettings settings = IndexSettings.from(conf);
        assertClosedOperatorsHoldNothing(() -> {
            var h = new OneInputStreamOperatorTestHarness<>(new VersionLookup(settings, 10, Duration.ofHours(1)));
            h.open();
            h.close();
            return h;
        });
    }

    private static OneInputStreamOperatorTestHarness<OcrItem, OcrItem> ocrHarness(OcrImages function) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 600_000, 8, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(OcrItem.class).createSerializer(new SerializerConfigImpl()));
    }

    private static void awaitChildren(long n, String what) throws InterruptedException {
        long until = System.nanoTime() + SETTLE.toNanos();
        while (ProcessHandle.current().children().count() != n) {
            assertThat(System.nanoTime()).as(what).isLessThan(until);
            Thread.sleep(5);
        }
    }

    private static DocumentTask task(String id, String uri) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.op = Op.UPSERT.name();
        t.uri = uri;
        return t;
    }

    private static OcrItem ocrDocument(int images) {
        OcrItem item = new OcrItem();
        item.document = new ExtractedDocument();
        item.tenant = "acme";
        item.documentId = "scan";
        item.documentKey = "acme:scan";
        item.version = 1;
        item.count = images;
        return item;
    }

    private static OcrItem ocrImage(int index, int count) {
        OcrItem item = ocrDocument(count);
        item.document = null;
        item.index = index;
        item.bytes = ("image " + index).getBytes(StandardCharsets.UTF_8);
        return item;
    }

    private static ChunkedDocument chunked(String id, int chunks) {
        ChunkedDocument d = new ChunkedDocument(task(id, null));
        for (int i = 0; i < chunks; i++) {
            Chunk c = new Chunk();
            c.chunkId = Chunk.id("acme", id, 0, i);
            c.text = "chunk " + i + " of document " + id + " about pumps and valves";
            d.chunks.add(c);
        }
        return d;
    }
}
