package io.streamrag.cli.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * A sweep's results as {@code rag plan} reads them: one row per question and setting (sweep-questions.csv, which
 * can be split into fitted and held-out questions) or one row per setting (sweep.csv, its {@code all} rows).
 */
public final class SweepResults {

    /** Header of the per-question file (written by {@code rag sweep}). */
    public static final String QUESTIONS_HEADER = "strategy,k,n,question,kind,status,correct,tokens,latency_ms,reason";
    /** Header of per-question files written before the {@code reason} column (still read). */
    static final String QUESTIONS_HEADER_WITHOUT_REASON = "strategy,k,n,question,kind,status,correct,tokens,latency_ms";
    private static final String SETTINGS_HEADER = "strategy,k,n,kind,questions,answered,accuracy,";

    /** One question at one setting. */
    public record Row(String strategy, int k, int n, int question, boolean correct, long tokens, long latencyMs) {}

    /** Rows per question, or null when the file held only per-setting aggregates. */
    public final List<Row> rows;
    /** Per-setting aggregates of a sweep.csv (null for a per-question file). */
    public final List<AllocationModel.Observation> settings;

    private SweepResults(List<Row> rows, List<AllocationModel.Observation> settings) {
        this.rows = rows;
        this.settings = settings;
    }

    public boolean perQuestion() {
        return rows != null;
    }

    public static SweepResults read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty");
        }
        String header = lines.get(0).strip();
        if (header.equals(QUESTIONS_HEADER) || header.equals(QUESTIONS_HEADER_WITHOUT_REASON)) {
            List<Row> rows = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) {
                String[] f = fields(file, lines, i, 9); // the reason (quoted, last) is not needed here
                if (f != null) {
                    rows.add(new Row(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                            "1".equals(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8])));
                }
            }
            return new SweepResults(rows, null);
        }
        if (header.startsWith(SETTINGS_HEADER)) {
            // strategy,k,n,kind,questions,answered,accuracy,retrieval_hit_at_k,cited_right_page,mean_tokens,mean_candidates,p50_latency_ms
            List<AllocationModel.Observation> settings = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) {
                String[] f = fields(file, lines, i, 12);
                if (f != null && "all".equals(f[3])) {
                    int questions = Integer.parseInt(f[4]);
                    settings.add(new AllocationModel.Observation(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                            (int) Math.round(Double.parseDouble(f[6]) * questions), questions,
                            Double.parseDouble(f[9]), Double.parseDouble(f[11])));
                }
            }
            return new SweepResults(null, settings);
        }
        throw new IOException(file + ": not a sweep result (expected the header of sweep-questions.csv or sweep.csv)");
    }

    /**
     * A free-text CSV field on one line (line breaks become spaces): as is, or in double quotes (inner quotes doubled)
     * when it holds a comma or a quote.
     */
    public static String quote(String field) {
        String f = field.replaceAll("\\R", " ");
        return f.indexOf(',') < 0 && f.indexOf('"') < 0 ? f : '"' + f.replace("\"", "\"\"") + '"';
    }

    private static String[] fields(Path file, List<String> lines, int i, int count) throws IOException {
        String line = lines.get(i).strip();
        if (line.isEmpty()) {
            return null;
        }
        String[] f = line.split(",", -1);
        if (f.length < count) {
            throw new IOException(file + ":" + (i + 1) + ": expected " + count + " fields, found " + f.length);
        }
        return f;
    }

    /** Questions of the file, 1-based indexes as the sweep numbered them. */
    public int questionCount(IntPredicate which) {
        return (int) rows.stream().mapToInt(r -> r.question()).distinct().filter(which).count();
    }

    /**
     * One observation per setting over the questions {@code which} accepts: correct answers, mean tokens and the
     * median latency, in the sweep's order.
     */
    public List<AllocationModel.Observation> observations(IntPredicate which) {
        if (rows == null) {
            return settings;
        }
        Map<String, List<Row>> bySetting = new LinkedHashMap<>();
        for (Row r : rows) {
            if (which.test(r.question())) {
                bySetting.computeIfAbsent(AllocationModel.settingKey(r.strategy(), r.k(), r.n()), x -> new ArrayList<>()).add(r);
            }
        }
        List<AllocationModel.Observation> out = new ArrayList<>();
        bySetting.values().forEach(rs -> {
            Row first = rs.get(0);
            int correct = (int) rs.stream().filter(Row::correct).count();
            double tokens = rs.stream().mapToLong(Row::tokens).average().orElse(0);
            long[] latencies = rs.stream().mapToLong(Row::latencyMs).sorted().toArray();
            out.add(new AllocationModel.Observation(first.strategy(), first.k(), first.n(), correct, rs.size(), tokens,
                    latencies[latencies.length / 2]));
        });
        return out;
    }
}
