package io.streamrag.ingest.bench;

import io.streamrag.common.config.Configs;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.testing.CollectingSink;

import com.sun.management.GarbageCollectionNotificationInfo;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.query_dsl.Query;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import java.io.File;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Memory benchmark (not a test): backfills a folder (e.g. one 1,000+ page manual) through the real ingest job
 * ({@code ingest.source=files}) on a local MiniCluster inside this JVM, against the real local Kafka (dead letters
 * only) and OpenSearch, and reports heap peak, GC and throughput. Run the JVM with {@code -Xmx1g} to prove the job
 * fits a 1 GiB TaskManager heap (the whole JVM, JobManager and benchmark included, is stricter than that).
 *
 * <pre>
 * java -Xmx1g -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/tmp &lt;flink.jvm.opens&gt; \
 *   -cp ingest-job/target/classes:ingest-job/target/test-classes:$(cat /tmp/bench.cp) \
 *   io.streamrag.ingest.bench.MemoryBenchmark /path/to/folder [--ocr.provider none] [--parallelism 2] [--job.option value ...]
 * </pre>
 *
 * Job counters (pages, images, OCR, chunks, indexed) are read through an in-process metric reporter registered
 * for this run only; the index ({@code bench-mem-<run>}) and dead-letter topic are deleted at the end.
 */
public final class MemoryBenchmark {

    private static final long MB = 1024 * 1024;

    private MemoryBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("--")) {
            System.err.println("usage: MemoryBenchmark FOLDER [--parallelism 2] [--ocr.provider none] [--job.option value ...]");
            System.exit(2);
        }
        File folder = new File(args[0]).getAbsoluteFile();
        if (!folder.isDirectory()) {
            throw new IllegalArgumentException("Not a folder: " + folder);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        Configuration conf = Configs.fromArgs(rest);
        int parallelism = conf.get(org.apache.flink.configuration.ConfigOptions.key("parallelism").intType().defaultValue(2));
        String run = UUID.randomUUID().toString().substring(0, 8);
        String alias = "bench-mem-" + run;
        String dlq = "bench-mem-dlq-" + run;
        String outcomesTopic = "bench-mem-outcomes-" + run;
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, folder.getPath());
        conf.set(IngestOptions.TENANT, "bench");
        conf.set(IngestOptions.PARALLELISM, parallelism);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomesTopic);
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "bench-mem-" + run);
        if (!conf.containsKey(IngestOptions.OCR_PROVIDER.key())) {
            conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.TESSERACT);
        }
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        // Loopback only; random REST port so concurrent runs do not collide.
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.address", "127.0.0.1");
        conf.setString("rest.bind-port", "0");
        conf.setString("jobmanager.bind-host", "127.0.0.1");
        conf.setString("taskmanager.bind-host", "127.0.0.1");
        conf.setString("taskmanager.host", "127.0.0.1");
        conf.setString("metrics.reporter.membench.factory.class", ReporterFactory.class.getName());
        registerReporterFactory();

        List<String> files = new ArrayList<>();
        try (var walk = Files.walk(folder.toPath())) {
            walk.filter(Files::isRegularFile).forEach(p -> files.add(folder.toPath().relativize(p) + " (" + p.toFile().length() / 1024 + " KiB)"));
        }
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.out.printf(Locale.ROOT, "Folder %s: %s%n", folder, files);
        System.out.printf(Locale.ROOT, "JVM max heap %d MiB, %d processors, parallelism %d, OCR %s, index alias %s%n",
                memory.getHeapMemoryUsage().getMax() / MB, Runtime.getRuntime().availableProcessors(), parallelism,
                conf.get(IngestOptions.OCR_PROVIDER), alias);

        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS));
        OpenSearchClient search = OpenSearchClients.create(conf);
        HeapSampler sampler = new HeapSampler();
        String status = "UNKNOWN";
        String failure = null;
        long wallNanos = 0;
        List<DocumentOutcome> outcomes = new ArrayList<>();
        long indexedInOpenSearch = -1;
        long imageChunksInOpenSearch = -1;
        long bulkBytesEstimate = -1;
        long gcCount0 = gcCount();
        long gcTime0 = gcTime();
        try (Admin admin = Admin.create(adminProps)) {
            admin.createTopics(List.of(new NewTopic(dlq, 1, (short) 1), new NewTopic(outcomesTopic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
                IngestJob.configure(env, conf);
                IngestJob job = IngestJob.fromConfiguration(conf);
                DataStream<DocumentOutcome> tracked = job.build(env);
                CollectingSink<DocumentOutcome> collected = new CollectingSink<>();
                tracked.sinkTo(collected).setParallelism(1).name("Benchmark outcomes");

                System.gc();
                sampler.start();
                long start = System.nanoTime();
                JobClient client = env.executeAsync("streamrag-ingest-memory-benchmark");
                sampler.client.set(client);
                try {
                    JobExecutionResult result = client.getJobExecutionResult().get();
                    wallNanos = System.nanoTime() - start;
                    status = JobStatus.FINISHED.name(); // a result (not an exception) means the job reached FINISHED
                    try {
                        status = client.getJobStatus().get(5, TimeUnit.SECONDS).name();
                    } catch (Exception e) {
                        // the per-job MiniCluster is gone once the result is in; FINISHED stands
                    }
                    System.out.printf(Locale.ROOT, "Job %s: net runtime %d ms%n", result.getJobID(), result.getNetRuntime());
                } catch (Exception e) {
                    wallNanos = System.nanoTime() - start;
                    status = sampler.lastStatus.get() == null ? "FAILED" : "FAILED (last seen " + sampler.lastStatus.get() + ")";
                    failure = rootCause(e);
                    e.printStackTrace(System.out);
                }
                sampler.stop();
                outcomes = collected.values();
            } catch (OutOfMemoryError e) {
                sampler.stop();
                status = "OOM";
                failure = e.toString();
            }

            // Verify in OpenSearch what the job says it indexed.
            try {
                search.indices().refresh(r -> r.index(alias));
                Query tenant = Query.of(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of("bench"))));
                List<FieldValue> ids = new ArrayList<>();
                outcomes.forEach(o -> ids.add(FieldValue.of(o.documentId)));
                Query docs = Query.of(q -> q.terms(t -> t.field(ChunkIndex.DOCUMENT_ID).terms(v -> v.value(ids))));
                Query images = Query.of(q -> q.term(t -> t.field(ChunkIndex.KIND).value(FieldValue.of("image"))));
                indexedInOpenSearch = search.count(c -> c.index(alias).query(q -> q.bool(b -> b.filter(tenant, docs)))).count();
                imageChunksInOpenSearch = search.count(c -> c.index(alias).query(q -> q.bool(b -> b.filter(tenant, docs, images)))).count();
                // What one bulk request of a whole document weighs: the indexer sends all its chunks at once.
                var sample = search.search(x -> x.index(alias).size(500).query(q -> q.bool(b -> b.filter(tenant, docs))),
                        com.fasterxml.jackson.databind.node.ObjectNode.class);
                long sampleBytes = 0;
                int sampled = 0;
                for (var hit : sample.hits().hits()) {
                    sampleBytes += io.streamrag.common.json.Json.MAPPER.writeValueAsBytes(hit.source()).length;
                    sampled++;
                }
                if (sampled > 0) {
                    long perChunk = sampleBytes / sampled;
                    long largest = outcomes.stream().mapToLong(o -> o.chunks).max().orElse(0);
                    bulkBytesEstimate = perChunk * largest;
                    System.out.printf(Locale.ROOT, "Chunk JSON: %d bytes on average (%d sampled); the largest document's single bulk request ~%.1f MiB%n",
                            perChunk, sampled, bulkBytesEstimate / (double) MB);
                }
                for (DocumentOutcome o : outcomes) {
                    long n = search.count(c -> c.index(alias).query(q -> q.bool(b -> b.filter(tenant,
                            Query.of(x -> x.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(o.documentId)))))))).count();
                    System.out.printf(Locale.ROOT, "Outcome %s -> OpenSearch has %d chunks for %s%n", o, n, o.documentId);
                }
            } catch (Exception e) {
                System.out.println("OpenSearch verification failed: " + e);
            } finally {
                try {
                    search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)).ignoreUnavailable(true));
                    boolean gone = !search.indices().exists(e -> e.index(alias)).value();
                    System.out.printf(Locale.ROOT, "Deleted benchmark index %s: %s%n", ChunkIndex.concreteName(alias), gone ? "yes" : "NO");
                } catch (Exception e) {
                    System.out.println("Could not delete benchmark index " + alias + ": " + e);
                }
                admin.deleteTopics(List.of(dlq, outcomesTopic)).all().get(30, TimeUnit.SECONDS);
                OpenSearchClients.close(search);
            }
        }

        double seconds = wallNanos / 1e9;
        long pages = Reporter.sum("pages");
        long chunks = Reporter.sum("chunks");
        long indexed = Reporter.sum("chunksIndexed");
        long ocrRead = Reporter.sum("ocrImagesRead");
        long gcCount = gcCount() - gcCount0;
        long gcMs = gcTime() - gcTime0;
        long indexedOutcomes = outcomes.stream().filter(o -> o.outcome == Outcome.INDEXED).count();
        long outcomeChunks = outcomes.stream().mapToLong(o -> o.chunks).sum();

        System.out.println();
        System.out.println("== Memory benchmark ==");
        System.out.printf(Locale.ROOT, "Documents: %d events, %d indexed, %d dead-lettered%n", outcomes.size(), indexedOutcomes,
                outcomes.stream().filter(o -> o.outcome == Outcome.DEAD_LETTERED).count());
        System.out.printf(Locale.ROOT, "Pages: %d (extract time max %s ms)%n", pages, Reporter.histogramMax("extractTimeMs"));
        System.out.printf(Locale.ROOT, "Images: %d to read, %d skipped, %d scanned pages; OCR'd %d, failed %d, documents timed out %d%n",
                Reporter.sum("images"), Reporter.sum("imagesSkipped"), Reporter.sum("scannedPages"), ocrRead,
                Reporter.sum("ocrImagesFailed"), Reporter.sum("ocrDocumentsTimedOut"));
        System.out.printf(Locale.ROOT, "Chunks: %d made (%d from images), %d embedded, %d indexed (bulk requests %d, max bulk latency %s ms)%n",
                chunks, Reporter.sum("imageChunks"), Reporter.sum("chunksEmbedded"), indexed, Reporter.sum("bulkRequests"),
                Reporter.histogramMax("bulkLatencyMs"));
        System.out.printf(Locale.ROOT, "OpenSearch: %d chunks for the documents (%d image chunks); outcomes report %d%n",
                indexedInOpenSearch, imageChunksInOpenSearch, outcomeChunks);
        System.out.printf(Locale.ROOT, "Wall time: %.1f s (submit -> finished, includes MiniCluster start and model load)%n", seconds);
        System.out.printf(Locale.ROOT, "Throughput: %.1f pages/s, %.1f chunks/s%n", pages / seconds, indexed / seconds);
        System.out.printf(Locale.ROOT, "Heap: max %d MiB; peak used %d MiB (sampled every 200 ms, at +%.1f s); peak live after GC %d MiB%n",
                memory.getHeapMemoryUsage().getMax() / MB, sampler.peak.get() / MB, sampler.peakAtNanos.get() / 1e9,
                sampler.peakAfterGc.get() / MB);
        System.out.printf(Locale.ROOT, "GC: %d collections, %d ms (%s)%n", gcCount, gcMs, gcSummary());
        System.out.printf(Locale.ROOT, "Job status: %s%s%n", status, failure == null ? "" : " - " + failure);

        boolean pass = JobStatus.FINISHED.name().equals(status) && indexedOutcomes == outcomes.size() && !outcomes.isEmpty()
                && indexed > 0 && indexedInOpenSearch == indexed && indexedInOpenSearch == outcomeChunks;
        System.out.printf(Locale.ROOT,
                "MEMORY-BENCH: %s heap=%dMiB pages=%d chunks=%d indexed=%d opensearch=%d ocr=%d wall=%.1fs pages/s=%.1f chunks/s=%.1f "
                        + "peakHeap=%dMiB peakLive=%dMiB gc=%d/%dms bulk~%.1fMiB status=%s%n",
                pass ? "PASS" : "FAIL", memory.getHeapMemoryUsage().getMax() / MB, pages, chunks, indexed, indexedInOpenSearch,
                ocrRead, seconds, pages / seconds, indexed / seconds, sampler.peak.get() / MB, sampler.peakAfterGc.get() / MB,
                gcCount, gcMs, bulkBytesEstimate / (double) MB, status);
        System.exit(pass ? 0 : 1);
    }

    /** Makes {@link ReporterFactory} visible to Flink's ServiceLoader lookup without a resource file in the build. */
    private static void registerReporterFactory() throws Exception {
        Path dir = Files.createTempDirectory("membench-spi");
        Path file = dir.resolve("META-INF/services/" + MetricReporterFactory.class.getName());
        Files.createDirectories(file.getParent());
        Files.writeString(file, ReporterFactory.class.getName() + "\n");
        file.toFile().deleteOnExit();
        ClassLoader parent = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(new URLClassLoader(new URL[] {dir.toUri().toURL()}, parent));
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    private static long gcTime() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    private static String gcSummary() {
        StringBuilder sb = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(gc.getName()).append(' ').append(gc.getCollectionCount()).append('/').append(gc.getCollectionTime()).append(" ms");
        }
        return "JVM totals: " + sb;
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    /** Samples heap used every 200 ms, tracks live heap after each GC, and logs a progress line every 5 s. */
    static final class HeapSampler {
        final AtomicLong peak = new AtomicLong();
        final AtomicLong peakAtNanos = new AtomicLong();
        final AtomicLong peakAfterGc = new AtomicLong();
        final AtomicReference<JobClient> client = new AtomicReference<>();
        final AtomicReference<JobStatus> lastStatus = new AtomicReference<>();
        private volatile boolean running;
        private Thread thread;

        void start() {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter) {
                    ((NotificationEmitter) gc).addNotificationListener((n, h) -> {
                        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                            return;
                        }
                        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                        long used = 0;
                        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                            if (isHeapPool(e.getKey())) {
                                used += e.getValue().getUsed();
                            }
                        }
                        peakAfterGc.accumulateAndGet(used, Math::max);
                    }, null, null);
                }
            }
            running = true;
            long t0 = System.nanoTime();
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            thread = new Thread(() -> {
                long nextLog = t0;
                while (running) {
                    long used = memory.getHeapMemoryUsage().getUsed();
                    long now = System.nanoTime();
                    if (used > peak.get()) {
                        peak.set(used);
                        peakAtNanos.set(now - t0);
                    }
                    JobClient c = client.get();
                    if (c != null) {
                        try {
                            lastStatus.set(c.getJobStatus().get(1, TimeUnit.SECONDS));
                        } catch (Exception e) {
                            // cluster shutting down
                        }
                    }
                    if (now >= nextLog) {
                        nextLog += TimeUnit.SECONDS.toNanos(5);
                        System.out.printf(Locale.ROOT, "[+%5.1fs] heap used %4d MiB (peak %4d, live after GC %4d) | %s | pages %d images %d ocr %d chunks %d embedded %d indexed %d%n",
                                (now - t0) / 1e9, used / MB, peak.get() / MB, peakAfterGc.get() / MB, lastStatus.get(),
                                Reporter.sum("pages"), Reporter.sum("images"), Reporter.sum("ocrImagesRead"), Reporter.sum("chunks"),
                                Reporter.sum("chunksEmbedded"), Reporter.sum("chunksIndexed"));
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            if (thread != null) {
                thread.join(2000);
            }
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            peak.accumulateAndGet(used, Math::max);
        }

        private static final Set<String> HEAP_POOLS = heapPools();

        private static Set<String> heapPools() {
            Set<String> names = ConcurrentHashMap.newKeySet();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    names.add(p.getName());
                }
            }
            return names;
        }

        private static boolean isHeapPool(String name) {
            return HEAP_POOLS.contains(name);
        }
    }

    /** Keeps the job's counters and histograms (all subtasks) so they can be read after the job has finished. */
    public static final class Reporter implements MetricReporter {
        private static final Set<String> WATCHED = Set.of("pages", "images", "imagesSkipped", "scannedPages", "extractFailures",
                "extractTimeMs", "ocrImagesRead", "ocrImagesFailed", "ocrDocumentsTimedOut", "chunks", "imageChunks",
                "chunksEmbedded", "chunksIndexed", "bulkRequests", "bulkLatencyMs");
        static final Map<String, List<Metric>> METRICS = new ConcurrentHashMap<>();

        @Override
        public void open(MetricConfig config) {}

        @Override
        public void close() {}

        @Override
        public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
            if (WATCHED.contains(name) && (metric instanceof Counter || metric instanceof Histogram)) {
                METRICS.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(metric);
            }
        }

        @Override
        public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
            // kept: the values are read after the job has finished
        }

        static long sum(String name) {
            long n = 0;
            for (Metric m : METRICS.getOrDefault(name, List.of())) {
                if (m instanceof Counter) {
                    n += ((Counter) m).getCount();
                }
            }
            return n;
        }

        static String histogramMax(String name) {
            long max = -1;
            for (Metric m : METRICS.getOrDefault(name, List.of())) {
                if (m instanceof Histogram && ((Histogram) m).getCount() > 0) {
                    max = Math.max(max, ((Histogram) m).getStatistics().getMax());
                }
            }
            return max < 0 ? "n/a" : String.valueOf(max);
        }
    }

    /** Found through the ServiceLoader entry {@link #registerReporterFactory()} writes. */
    public static final class ReporterFactory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new Reporter();
        }
    }
}
