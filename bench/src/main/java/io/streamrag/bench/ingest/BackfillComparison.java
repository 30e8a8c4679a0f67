package io.streamrag.bench.ingest;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.metrics.OutcomeMetrics;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Backfill of a folder of PDFs with OCR off ({@code ingest.source=files}, the job {@code bin/rag backfill} runs, on a
 * MiniCluster here) against {@link PlainLangchain4jLoader} on the same files, model and OpenSearch, side by side:
 * each round runs both, alternating which goes first, and times each from start (job submitted, loader built) until
 * every page is searchable.
 */
final class BackfillComparison {

    private BackfillComparison() {}

    /** Runs {@code rounds} rounds over {@code --manuals DIR} and adds one line per round to {@code summary}. */
    static void run(Configuration base, int rounds, List<String> summary) throws Exception {
        String manuals = base.get(ConfigOptions.key("manuals").stringType().noDefaultValue());
        if (manuals == null) {
            summary.add("backfill: skipped (give --manuals DIR, a folder of PDFs, e.g. the issue's debian-edu, FreedomBox and expEYES manuals)");
            return;
        }
        Path folder = Path.of(manuals).toAbsolutePath().normalize();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile).filter(p -> p.toString().toLowerCase(Locale.ROOT).endsWith(".pdf"))
                    .sorted().collect(Collectors.toList());
        }
        long pages = 0;
        for (Path f : files) {
            try (PDDocument d = Loader.loadPDF(f.toFile())) {
                pages += d.getNumberOfPages();
            }
        }
        System.out.printf(Locale.ROOT, "Backfill corpus: %d PDFs, %d pages in %s%n", files.size(), pages, folder);
        for (int r = 1; r <= rounds; r++) {
            String load = IngestBenchmark.load();
            double backfill;
            double plain;
            if (r % 2 == 1) {
                backfill = backfill(base, folder, files.size());
                plain = plain(base, files);
            } else {
                plain = plain(base, files);
                backfill = backfill(base, folder, files.size());
            }
            String line = String.format(Locale.ROOT, "backfill round %d (load %s, %s first): %d pages, backfill %.1f s = %.1f pages/s, "
                            + "plain langchain4j loader %.1f s = %.1f pages/s, ratio %.2f (target >= 2)", r, load,
                    r % 2 == 1 ? "backfill" : "plain", pages, backfill, pages / backfill, plain, pages / plain, plain / backfill);
            System.out.println(line);
            summary.add(line);
        }
    }

    /** Seconds the ingest job takes over the folder, OCR off, from submission until it finished. */
    private static double backfill(Configuration base, Path folder, int files) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Configuration conf = new Configuration(base);
        String alias = "bench-backfill-" + run;
        String dlq = "bench-backfill-dlq-" + run;
        String outcomes = "bench-backfill-outcomes-" + run;
        conf.set(IngestOptions.SOURCE, IngestOptions.SourceKind.FILES);
        conf.set(IngestOptions.PATH, folder.toString());
        conf.set(IngestOptions.TENANT, "bench");
        conf.set(IngestOptions.PARALLELISM, BenchKafka.intArg(base, "parallelism", 2));
        conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.NONE);
        conf.set(IngestOptions.SINK_TRANSACTIONAL_ID_PREFIX, "bench-backfill-" + run);
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(StreamRagOptions.DEAD_LETTER_TOPIC, dlq);
        conf.set(StreamRagOptions.OUTCOMES_TOPIC, outcomes);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        OpenSearchClient search = OpenSearchClients.create(conf);
        try (Admin admin = BenchKafka.admin(conf)) {
            admin.createTopics(List.of(new NewTopic(dlq, 1, (short) 1), new NewTopic(outcomes, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                long start = System.nanoTime();
                CpuUse cpu = CpuUse.now(search);
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
                IngestJob.configure(env, conf);
                JobExecutionResult result = IngestJob.fromConfiguration(conf).execute(env);
                double seconds = (System.nanoTime() - start) / 1e9;
                Long indexed = result.getAccumulatorResult(OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.INDEXED);
                if (indexed == null || indexed != files) {
                    throw new IllegalStateException("Backfill indexed " + indexed + " of " + files + " files");
                }
                CpuUse used = CpuUse.now(search).since(cpu);
                System.out.printf(Locale.ROOT, "  backfill: %.1f s (JVM CPU %.1f s: ONNX %.1f, JIT %.1f, rest %.1f; OpenSearch "
                        + "%.1f), %d chunks%n", seconds, used.jvm(), used.onnx(), used.jit(), used.jvm() - used.onnx() - used.jit(),
                        used.openSearch(), count(search, alias));
                return seconds;
            } finally {
                admin.deleteTopics(List.of(dlq, outcomes)).all().get(30, TimeUnit.SECONDS);
                search.indices().delete(d -> d.index(ChunkIndex.concreteName(alias)).ignoreUnavailable(true));
                OpenSearchClients.close(search);
            }
        }
    }

    /** Seconds the plain langchain4j loader takes over the files, until its segments are searchable. */
    private static double plain(Configuration conf, List<Path> files) throws Exception {
        String index = "bench-plain-" + UUID.randomUUID().toString().substring(0, 8);
        OpenSearchClient search = OpenSearchClients.create(conf);
        try {
            PlainLangchain4jLoader.createIndex(search, index, 384);
            long start = System.nanoTime();
            CpuUse cpu = CpuUse.now(search);
            new PlainLangchain4jLoader(conf.get(StreamRagOptions.OPENSEARCH_URL), index).ingest(files);
            search.indices().refresh(r -> r.index(index));
            double seconds = (System.nanoTime() - start) / 1e9;
            CpuUse used = CpuUse.now(search).since(cpu);
            // Its embedding runs on langchain4j's own threads, so its ONNX time is in "rest".
            System.out.printf(Locale.ROOT, "  plain loader: %.1f s (JVM CPU %.1f s: JIT %.1f, rest %.1f; OpenSearch %.1f), "
                    + "%d segments%n", seconds, used.jvm(), used.jit(), used.jvm() - used.jit(), used.openSearch(),
                    count(search, index));
            return seconds;
        } finally {
            search.indices().delete(d -> d.index(index).ignoreUnavailable(true));
            OpenSearchClients.close(search);
        }
    }

    private static long count(OpenSearchClient search, String index) throws Exception {
        search.indices().refresh(r -> r.index(index));
        return search.count(c -> c.index(index)).count();
    }
}
