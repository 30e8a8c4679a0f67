package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.ingest.metrics.ChunkMetrics;
import io.streamrag.ingest.metrics.EmbedMetrics;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.metrics.OutcomeMetrics;
import io.streamrag.ingest.metrics.ParseMetrics;
import io.streamrag.query.metrics.AnswerMetrics;
import io.streamrag.query.metrics.GenerationMetrics;
import io.streamrag.query.metrics.QuestionMetrics;
import io.streamrag.query.metrics.RetrievalMetrics;
import io.streamrag.query.metrics.VoteMetrics;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code rag dashboard}: checks through the REST API that both jobs run with their named operators and custom
 * metrics, and takes a screenshot of the Flink dashboard with headless Chromium.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Check both jobs, their operators and custom metrics via REST; screenshot the dashboard (headless Chromium).")
public class DashboardCommand implements Callable<Integer> {

    /** Custom metrics each job must expose (a sample per job; the full lists are in the jobs' *Metrics classes). */
    static final Map<String, List<String>> REQUIRED_METRICS = Map.of(
            JobLauncher.INGEST, names(ParseMetrics.DOCUMENTS_IN, ChunkMetrics.CHUNKS, EmbedMetrics.BATCH_LATENCY_MS,
                    IndexMetrics.BULK_LATENCY_MS, OutcomeMetrics.INDEXED),
            JobLauncher.QUERY, names(QuestionMetrics.QUESTIONS, RetrievalMetrics.LATENCY, GenerationMetrics.ISSUED,
                    VoteMetrics.DECIDED, AnswerMetrics.ANSWERS));

    @Option(names = "--screenshot", defaultValue = "dashboard.png", description = "PNG to write (default: ${DEFAULT-VALUE}).")
    Path screenshot;

    @Option(names = "--chromium", defaultValue = "chromium", description = "Chromium binary (default: ${DEFAULT-VALUE}).")
    String chromium;

    @Override
    public Integer call() throws Exception {
        FlinkRest rest = FlinkRest.localRunning();
        if (rest == null) {
            return 1;
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : REQUIRED_METRICS.entrySet()) {
            FlinkRest.JobInfo job = rest.running(e.getKey());
            if (job == null) {
                problems.add(e.getKey() + " is not running");
                continue;
            }
            System.out.println(job.name() + " (" + job.state() + "):");
            rest.vertexNames(job.id()).forEach(v -> System.out.println("  operator  " + v));
            List<String> ids = rest.metricIds(job.id());
            for (String metric : e.getValue()) {
                // Histograms are exposed as <name>_p50, <name>_mean, ...
                boolean found = ids.stream().anyMatch(id -> id.endsWith("." + metric) || id.contains("." + metric + "_"));
                System.out.println("  metric    " + metric + (found ? "  ok" : "  MISSING"));
                if (!found) {
                    problems.add(job.name() + " lacks metric " + metric);
                }
            }
        }
        // The job list, then each job's graph with its named operators.
        shoot("http://127.0.0.1:8081/#/job/running", screenshot, problems);
        for (String name : REQUIRED_METRICS.keySet()) {
            FlinkRest.JobInfo job = rest.running(name);
            if (job != null) {
                String file = screenshot.getFileName().toString().replaceFirst("\\.png$", "") + "-" + name + ".png";
                shoot("http://127.0.0.1:8081/#/job/running/" + job.id() + "/overview", screenshot.resolveSibling(file), problems);
            }
        }
        problems.forEach(pr -> System.err.println("problem: " + pr));
        return problems.isEmpty() ? 0 : 1;
    }

    /** Headless Chromium now and then hangs on a page that keeps polling: give it a second try. */
    private void shoot(String url, Path file, List<String> problems) throws Exception {
        List<String> first = new ArrayList<>();
        shootOnce(url, file, first);
        if (!first.isEmpty()) {
            shootOnce(url, file, problems);
        }
    }

    private void shootOnce(String url, Path file, List<String> problems) throws Exception {
        Path png = file.toAbsolutePath();
        Files.deleteIfExists(png);
        Path profile = Files.createTempDirectory("rag-chromium");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1600,1000", "--virtual-time-budget=5000",
                "--screenshot=" + png, url)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(90, TimeUnit.SECONDS) || !Files.exists(png)) {
            p.destroyForcibly();
            problems.add("no screenshot of " + url + " from " + chromium + " (install it: deploy/local/setup.sh --with-chromium)");
        } else {
            System.out.println("screenshot " + png + " (" + Files.size(png) / 1024 + " KiB)");
        }
    }

    private static List<String> names(MetricSpec<?>... specs) {
        return Arrays.stream(specs).map(MetricSpec::name).toList();
    }
}
