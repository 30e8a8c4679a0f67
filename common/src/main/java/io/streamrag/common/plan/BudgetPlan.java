package io.streamrag.common.plan;

import io.streamrag.common.json.Json;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A budget plan ({@code bin/rag plan} writes it, the query job's {@code query.plan} reads it): the settings a sweep
 * measured, each with the fitted allocation model's predicted accuracy and its swept cost, and the rule that picks
 * the setting for a question's budget (most accurate within the budget). Format in the cli README.
 */
public class BudgetPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Format version of the file. */
    public int version = 1;
    /** The fitted model's form, in words. */
    public String model;
    /** Sweep file and questions the model was fitted on. */
    public String source;
    public int fitQuestions;
    /** R² of the fit on the fitted scale (logit of accuracy) and on accuracy itself, over all settings. */
    public double r2;
    public double r2Accuracy;
    public List<Fit> fits = new ArrayList<>();
    public List<Setting> settings = new ArrayList<>();

    /**
     * The fitted coefficients of one strategy: logit(accuracy) = intercept + logK·ln k + logK2·(ln k)² + logN·ln v,
     * v the votes N candidates are worth (N, or N−1 when N is even: ties go to candidate 0).
     */
    public static class Fit implements Serializable {
        private static final long serialVersionUID = 1L;
        public String strategy;
        public double intercept;
        public double logK;
        /** Curvature in ln k (0 in the log-linear model; below 0 a peak in k). */
        public double logK2;
        public double logN;
        public double r2;
        public int points;

        public Fit() {}
    }

    /**
     * One setting the plan may choose, with what it is expected to cost and buy.
     *
     * @param tokens mean tokens (in + out) per question, as the sweep measured them on the fitted questions
     * @param ms p50 latency, as the sweep measured it on the fitted questions
     */
    public record Setting(String strategy, int k, int n, double predictedAccuracy, double tokens, double ms)
            implements Serializable {

        @Override
        public String toString() {
            return strategy + " k=" + k + " N=" + n;
        }
    }

    public BudgetPlan() {}

    /**
     * The setting for {@code budget} among those agreeing with the question's own {@code strategy}, {@code k} and
     * {@code n} (each null = free): the highest predicted accuracy whose tokens and latency fit the budget (ties: fewer
     * tokens); when none fits, the cheapest (reported as not within budget). Null when no setting agrees.
     */
    public Answer.Plan choose(Question.Budget budget, String strategy, Integer k, Integer n) {
        List<Setting> allowed = new ArrayList<>();
        for (Setting s : settings) {
            if ((strategy == null || strategy.equals(s.strategy())) && (k == null || k == s.k()) && (n == null || n == s.n())) {
                allowed.add(s);
            }
        }
        if (allowed.isEmpty()) {
            return null;
        }
        Comparator<Setting> cheaper = Comparator.comparingDouble(Setting::tokens).thenComparingDouble(Setting::ms);
        Setting best = allowed.stream().filter(s -> fits(s, budget))
                .max(Comparator.comparingDouble(Setting::predictedAccuracy).thenComparing(cheaper.reversed()))
                .orElse(null);
        boolean within = best != null;
        if (best == null) {
            best = allowed.stream().min(cheaper).orElseThrow();
        }
        Answer.Plan p = new Answer.Plan();
        p.strategy = best.strategy();
        p.k = best.k();
        p.n = best.n();
        p.budgetTokens = budget.tokens;
        p.budgetMs = budget.ms;
        p.predictedAccuracy = round(best.predictedAccuracy(), 4);
        p.predictedTokens = round(best.tokens(), 1);
        p.predictedMs = round(best.ms(), 1);
        p.withinBudget = within;
        return p;
    }

    static boolean fits(Setting s, Question.Budget budget) {
        return (budget.tokens == null || s.tokens() <= budget.tokens) && (budget.ms == null || s.ms() <= budget.ms);
    }

    private static double round(double v, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(v * scale) / scale;
    }

    /**
     * Reads a plan file. A file without settings is an error (a plan that can choose nothing), and so is a setting
     * that could skew every choice: missing, without a strategy, k or N below 1, a predicted accuracy that is not a
     * number in [0, 1] (a NaN won every comparison), or negative or non-finite tokens or latency (a negative cost fit
     * every budget).
     */
    public static BudgetPlan read(Path file) throws IOException {
        BudgetPlan plan = Json.MAPPER.readValue(file.toFile(), BudgetPlan.class);
        if (plan.settings == null || plan.settings.isEmpty()) {
            throw new IOException(file + ": a budget plan needs at least one setting");
        }
        for (int i = 0; i < plan.settings.size(); i++) {
            String problem = problem(plan.settings.get(i));
            if (problem != null) {
                throw new IOException(file + ": setting " + (i + 1) + " (" + plan.settings.get(i) + ") " + problem);
            }
        }
        return plan;
    }

    /** What is wrong with {@code s} as a setting to choose, or null when nothing is. */
    static String problem(Setting s) {
        if (s == null) {
            return "is missing";
        }
        if (s.strategy() == null || s.strategy().isBlank()) {
            return "names no strategy";
        }
        if (s.k() < 1 || s.n() < 1) {
            return "needs k and n of at least 1";
        }
        if (!(s.predictedAccuracy() >= 0 && s.predictedAccuracy() <= 1)) { // NaN fails both
            return "needs a predictedAccuracy between 0 and 1, was " + s.predictedAccuracy();
        }
        if (!(s.tokens() >= 0) || !(s.ms() >= 0) || Double.isInfinite(s.tokens()) || Double.isInfinite(s.ms())) {
            return "needs finite, non-negative tokens and ms, was " + s.tokens() + " and " + s.ms();
        }
        return null;
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n");
    }
}
