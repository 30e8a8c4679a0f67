package io.streamrag.cli.commands;

import io.streamrag.cli.plan.SweepResults;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.ChunkRef;
import io.streamrag.common.records.Question;
import io.streamrag.query.generate.StrategyName;

import com.fasterxml.jackson.databind.JsonNode;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code rag sweep}: runs a question set over a grid of budgets (N candidates, k chunks, strategy) and shows
 * what accuracy each budget buys in tokens and latency, as a table, a CSV and two PNG plots.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run QUESTIONS.jsonl ({\"question\", \"expected\", \"tenant\"?, \"documentId\"?, \"page\"?} per line) "
                + "over a grid of N, k and strategy; write sweep.csv, sweep-questions.csv (one row per question and grid "
                + "point, the input of 'rag plan'), accuracy-vs-tokens.png and accuracy-vs-latency.png.")
public class SweepCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Parameters(index = "0", paramLabel = "QUESTIONS.jsonl")
    Path questionsFile;

    @Option(names = "--n", split = ",", defaultValue = "1,3,8", description = "Candidate counts (default: ${DEFAULT-VALUE}).")
    List<Integer> ns;

    @Option(names = "--k", split = ",", defaultValue = "3,8", description = "Retrieved chunk counts (default: ${DEFAULT-VALUE}).")
    List<Integer> ks;

    @Option(names = "--strategy", split = ",", defaultValue = "RAG", description = "Strategies (default: ${DEFAULT-VALUE}).")
    List<StrategyName> strategies;

    @Option(names = "--tenant", defaultValue = "default", description = "Tenant for lines that name none (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(names = "--out", defaultValue = "sweep-results", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--timeout", defaultValue = "10m", description = "Wait per grid point (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--seed", paramLabel = "BASE", defaultValue = "0",
            description = "Base of the questions' sampling seeds: each question is sent with a seed derived from BASE, its "
                    + "tenant and text, the same at every grid point and in every run, so settings are compared on the same "
                    + "samples and a sweep repeats exactly; another BASE draws another reproducible sample (default: ${DEFAULT-VALUE}).")
    long seedBase;

    /** One question of the set with its expected answer. */
    static final class Item {
        /** 1-based position among the file's questions: what {@code rag plan} splits fitted from held-out by. */
        int index;
        String question;
        String expected;
        String tenant;
        String documentId;
        Integer page;
        /** Other pages where the answer also appears; citing them counts as the right page. */
        List<Integer> alsoOn = new ArrayList<>();
        String kind = "text";
    }

    /** What one grid point measured. */
    static final class Point {
        int n;
        int k;
        String strategy;
        /** Question kind this row covers ({@code all}, {@code text}, {@code image}). */
        String kind = "all";
        int questions;
        int answered;
        double accuracy;
        double citedRightPage;
        double retrievalHit;
        double meanTokens;
        double p50LatencyMs;
        double meanCandidates;
    }

    /** One question's outcome at one grid point: a row of sweep-questions.csv. */
    static final class QuestionResult {
        String strategy;
        int k;
        int n;
        int question;
        String kind;
        String status;
        boolean correct;
        long tokens;
        long latencyMs;
        /** The answer's error (why it is FAILED or NO_CONTEXT); empty when ANSWERED. */
        String reason;
    }

    private final List<QuestionResult> results = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<Item> items = read(questionsFile, tenant);
        Files.createDirectories(out);
        results.clear();
        List<Point> points = new ArrayList<>();
        for (StrategyName strategy : strategies) {
            for (int k : ks) {
                for (int n : ns) {
                    for (Point p : run(items, n, k, strategy.name())) {
                        points.add(p);
                        System.out.printf("  %-8s k=%-2d n=%-2d %-5s  accuracy %.2f  hit@k %.2f  right page %.2f  tokens %.0f  p50 %.0f ms%n",
                                p.strategy, p.k, p.n, p.kind, p.accuracy, p.retrievalHit, p.citedRightPage, p.meanTokens, p.p50LatencyMs);
                    }
                }
            }
        }
        writeCsv(points, out.resolve("sweep.csv"));
        writeQuestionsCsv(results, out.resolve("sweep-questions.csv"));
        plot(points, true, out.resolve("accuracy-vs-tokens.png"));
        plot(points, false, out.resolve("accuracy-vs-latency.png"));
        System.out.println();
        System.out.println(table(points));
        System.out.println("Wrote " + out.resolve("sweep.csv") + ", sweep-questions.csv, accuracy-vs-tokens.png, "
                + "accuracy-vs-latency.png; fit a budget plan with: rag plan " + out.resolve("sweep-questions.csv"));
        return 0;
    }

    /** Asks every question at one budget; returns the row for all questions followed by one row per kind. */
    List<Point> run(List<Item> items, int n, int k, String strategy) throws IOException {
        List<Question> questions = new ArrayList<>();
        Map<String, Item> byId = new LinkedHashMap<>();
        for (Item item : items) {
            Question q = new Question();
            q.questionId = "sweep-" + UUID.randomUUID();
            q.tenant = item.tenant;
            q.text = item.question;
            q.n = n;
            q.k = k;
            q.strategy = strategy;
            q.seed = seed(seedBase, item);
            questions.add(q);
            byId.put(q.questionId, item);
        }
        Map<String, String> raw = AskCommand.askAll(connection, questions, timeout);
        Map<Item, Answer> answers = new LinkedHashMap<>();
        raw.forEach((id, json) -> answers.put(byId.get(id), Json.fromString(json, Answer.class)));
        answers.forEach((item, a) -> results.add(result(item, a, n, k, strategy)));
        List<Point> rows = new ArrayList<>();
        rows.add(score(items, answers, n, k, strategy, "all"));
        items.stream().map(i -> i.kind).distinct().sorted()
                .forEach(kind -> rows.add(score(items.stream().filter(i -> i.kind.equals(kind)).collect(java.util.stream.Collectors.toList()),
                        answers, n, k, strategy, kind)));
        return rows;
    }

    /** The question's sampling seed: a name-based (MD5) UUID's high bits over base, tenant and text, stable across runs and JVMs. */
    static long seed(long base, Item item) {
        return UUID.nameUUIDFromBytes((base + "\n" + item.tenant + "\n" + item.question).getBytes(StandardCharsets.UTF_8))
                .getMostSignificantBits();
    }

    static Point score(List<Item> items, Map<Item, Answer> answers, int n, int k, String strategy, String kind) {
        Point p = new Point();
        p.n = n;
        p.k = k;
        p.strategy = strategy;
        p.kind = kind;
        p.questions = items.size();
        List<Double> latencies = new ArrayList<>();
        int correct = 0;
        int rightPage = 0;
        int hit = 0;
        double tokens = 0;
        double candidates = 0;
        for (Item item : items) {
            Answer a = answers.get(item);
            if (a == null) {
                continue;
            }
            p.answered++;
            if (matches(a.answer, item.expected)) {
                correct++;
            }
            if (item.page != null && citesPage(a.citations, item)) {
                rightPage++;
            }
            if (item.page != null && citesPage(a.retrieved, item)) {
                hit++;
            }
            tokens += a.usage.tokensIn + a.usage.tokensOut;
            candidates += a.usage.candidatesRequested;
            latencies.add((double) a.latencyMs.getOrDefault("total", 0L));
        }
        p.accuracy = items.isEmpty() ? 0 : (double) correct / items.size();
        long withPage = items.stream().filter(i -> i.page != null).count();
        p.citedRightPage = withPage == 0 ? Double.NaN : (double) rightPage / withPage;
        p.retrievalHit = withPage == 0 ? Double.NaN : (double) hit / withPage;
        p.meanTokens = p.answered == 0 ? 0 : tokens / p.answered;
        p.meanCandidates = p.answered == 0 ? 0 : candidates / p.answered;
        latencies.sort(Double::compare);
        p.p50LatencyMs = latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2);
        return p;
    }

    static QuestionResult result(Item item, Answer a, int n, int k, String strategy) {
        QuestionResult r = new QuestionResult();
        r.strategy = strategy;
        r.k = k;
        r.n = n;
        r.question = item.index;
        r.kind = item.kind;
        r.status = String.valueOf(a.status);
        r.correct = matches(a.answer, item.expected);
        r.tokens = a.usage.tokensIn + a.usage.tokensOut;
        r.latencyMs = a.latencyMs.getOrDefault("total", 0L);
        r.reason = a.error == null ? "" : a.error;
        return r;
    }

    /** True when one of the chunks is on the expected page (or a page the answer also appears on) of the document. */
    static boolean citesPage(List<ChunkRef> chunks, Item item) {
        List<Integer> pages = new ArrayList<>(item.alsoOn);
        pages.add(item.page);
        return chunks.stream().anyMatch(c -> onPage(c, item.documentId, pages));
    }

    /**
     * True when a chunk reference lies on one of {@code pages} of the document: a citation on its page, a retrieved
     * chunk on any page it covers ({@link ChunkRef#covers}). The files source names a document by its file name, a
     * question set by the name without extension: both match (null matches any document).
     */
    public static boolean onPage(ChunkRef c, String documentId, Collection<Integer> pages) {
        if (pages.stream().noneMatch(c::covers)) {
            return false;
        }
        return documentId == null || documentId.equals(c.documentId)
                || (c.documentId != null && documentId.equals(c.documentId.replaceAll("\\.[A-Za-z0-9]+$", "")));
    }

    /** An answer is right when its normalised text contains the normalised expected answer. */
    public static boolean matches(String answer, String expected) {
        if (answer == null || expected == null) {
            return false;
        }
        String a = normalise(answer);
        String x = normalise(expected);
        return !x.isEmpty() && (" " + a + " ").contains(" " + x + " ");
    }

    static String normalise(String s) {
        String t = s.toLowerCase(Locale.ROOT).replaceAll("(?<=\\d),(?=\\d{3})", "").replaceAll("[^\\p{L}\\p{N}.]+", " ");
        t = t.replaceAll("(?<!\\d)\\.|\\.(?!\\d)", " ");
        return t.replaceAll("\\b(a|an|the)\\b", " ").replaceAll("\\s+", " ").trim();
    }

    static List<Item> read(Path file, String defaultTenant) throws IOException {
        List<Item> items = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(file)) {
            line++;
            if (l.isBlank() || l.startsWith("#")) {
                continue;
            }
            JsonNode n = Json.MAPPER.readTree(l);
            if (!n.hasNonNull("question") || !n.hasNonNull("expected")) {
                throw new IOException(file + ":" + line + ": needs \"question\" and \"expected\"");
            }
            Item i = new Item();
            i.index = items.size() + 1;
            i.question = n.get("question").asText();
            i.expected = n.get("expected").asText();
            i.tenant = n.path("tenant").asText(defaultTenant);
            i.documentId = n.hasNonNull("documentId") ? n.get("documentId").asText() : null;
            i.page = n.hasNonNull("page") ? n.get("page").asInt() : null;
            n.path("alsoOn").forEach(x -> i.alsoOn.add(x.asInt()));
            i.kind = n.path("kind").asText("text");
            items.add(i);
        }
        return items;
    }

    static void writeCsv(List<Point> points, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("strategy,k,n,kind,questions,answered,accuracy,retrieval_hit_at_k,cited_right_page,mean_tokens,mean_candidates,p50_latency_ms\n");
        for (Point p : points) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%s,%d,%d,%.4f,%.4f,%.4f,%.1f,%.2f,%.0f%n", p.strategy, p.k, p.n, p.kind,
                    p.questions, p.answered, p.accuracy, p.retrievalHit, p.citedRightPage, p.meanTokens, p.meanCandidates, p.p50LatencyMs));
        }
        Files.writeString(file, sb.toString());
    }

    static void writeQuestionsCsv(List<QuestionResult> results, Path file) throws IOException {
        StringBuilder sb = new StringBuilder(SweepResults.QUESTIONS_HEADER).append('\n');
        for (QuestionResult r : results) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%s,%d,%d,%d,%s%n", r.strategy, r.k, r.n, r.question, r.kind,
                    r.status, r.correct ? 1 : 0, r.tokens, r.latencyMs, SweepResults.quote(r.reason)));
        }
        Files.writeString(file, sb.toString());
    }

    static String table(List<Point> points) {
        StringBuilder sb = new StringBuilder("| strategy | k | N | questions | accuracy | hit@k | cited right page | tokens/question | p50 latency ms |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s (%d) | %.2f | %.2f | %.2f | %.0f | %.0f |%n",
                    p.strategy, p.k, p.n, p.kind, p.questions, p.accuracy, p.retrievalHit, p.citedRightPage, p.meanTokens, p.p50LatencyMs));
        }
        return sb.toString();
    }

    static void plot(List<Point> points, boolean tokens, Path file) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (Point p : points) {
            if (!"all".equals(p.kind)) {
                continue;
            }
            String key = p.strategy + " k=" + p.k;
            XYSeries s = series.computeIfAbsent(key, x -> new XYSeries(x, true, true));
            s.add(tokens ? p.meanTokens : p.p50LatencyMs, p.accuracy);
        }
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(
                "Accuracy vs " + (tokens ? "tokens" : "latency") + " (points: N candidates)",
                tokens ? "mean tokens per question" : "p50 latency (ms)", "accuracy", data,
                PlotOrientation.VERTICAL, true, false, false);
        ((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) chart.getXYPlot().getRenderer()).setDefaultShapesVisible(true);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 560);
    }
}
