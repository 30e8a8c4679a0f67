package io.streamrag.cli.plan;

import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Planned against fixed settings, cross-fitted: the questions are split in two halves, a plan is fitted on each half
 * and judged on the other, so every question is scored by a plan that never saw it. Per token budget the table pools
 * both halves and sets the planned settings beside (a) the best fixed setting at equal or lower spend measured on all
 * questions (an oracle: it picks with the answers known) and (b) the fixed setting one would pick from the fitted
 * half without a model (most accurate measured within the budget), judged on the other half like the plan.
 */
public final class PlanComparison {

    /** One half of the questions fitted and the other held out. */
    public record Fold(BudgetPlan plan, List<AllocationModel.Observation> fitted, List<AllocationModel.Observation> heldOut) {}

    /** One budget's line of the table. */
    public static final class Line {
        public long budgetTokens;
        /** The planned setting of each fold ("a / b" when the folds chose differently). */
        public String planned;
        public double plannedPredicted;
        public double plannedAccuracy;
        public double plannedTokens;
        public String bestFixed;
        public double bestFixedAccuracy;
        public double bestFixedTokens;
        public String pickedFixed;
        public double pickedFixedAccuracy;
        public double pickedFixedTokens;

        /** Planned minus best fixed accuracy, in points. */
        public double deltaPoints() {
            return 100 * (plannedAccuracy - bestFixedAccuracy);
        }

        /** Planned minus the fixed setting picked without a model, in points. */
        public double deltaPickedPoints() {
            return 100 * (plannedAccuracy - pickedFixedAccuracy);
        }
    }

    private PlanComparison() {}

    /**
     * The table for {@code budgets}; {@code all} is every setting measured on all questions. The best fixed setting may
     * spend up to the budget or the planned settings' pooled spend, whichever is more, so the plan never wins by
     * spending more.
     */
    public static List<Line> compare(List<Fold> folds, List<AllocationModel.Observation> all, List<Long> budgets) {
        List<Line> lines = new ArrayList<>();
        for (long budget : budgets) {
            Pool planned = new Pool();
            Pool picked = new Pool();
            double predicted = 0;
            for (Fold f : folds) {
                Map<String, AllocationModel.Observation> held = byKey(f.heldOut());
                Answer.Plan choice = f.plan().choose(new Question.Budget(budget, null), null, null, null);
                planned.add(held.get(AllocationModel.settingKey(choice.strategy, choice.k, choice.n)));
                predicted += choice.predictedAccuracy / folds.size();
                AllocationModel.Observation p = mostAccurate(f.fitted(), budget);
                picked.add(p == null ? null : held.get(AllocationModel.settingKey(p.strategy(), p.k(), p.n())));
            }
            if (planned.missing || planned.questions == 0) {
                continue; // a setting the held-out questions were not swept at
            }
            Line l = new Line();
            l.budgetTokens = budget;
            l.planned = planned.names();
            l.plannedPredicted = predicted;
            l.plannedAccuracy = planned.accuracy();
            l.plannedTokens = planned.tokens();
            AllocationModel.Observation best = mostAccurate(all, Math.max(budget, l.plannedTokens));
            l.bestFixed = best == null ? "-" : name(best);
            l.bestFixedAccuracy = best == null ? Double.NaN : best.accuracy();
            l.bestFixedTokens = best == null ? Double.NaN : best.tokens();
            l.pickedFixed = picked.missing ? "-" : picked.names();
            l.pickedFixedAccuracy = picked.missing ? Double.NaN : picked.accuracy();
            l.pickedFixedTokens = picked.missing ? Double.NaN : picked.tokens();
            lines.add(l);
        }
        return lines;
    }

    /** Settings of the folds pooled over their held-out questions. */
    private static final class Pool {
        final List<String> names = new ArrayList<>();
        int correct;
        int questions;
        double tokenSum;
        boolean missing;

        void add(AllocationModel.Observation o) {
            if (o == null) {
                missing = true;
                return;
            }
            names.add(name(o));
            correct += o.correct();
            questions += o.questions();
            tokenSum += o.tokens() * o.questions();
        }

        double accuracy() {
            return (double) correct / questions;
        }

        double tokens() {
            return tokenSum / questions;
        }

        String names() {
            return names.stream().distinct().count() == 1 ? names.get(0) : String.join(" / ", names);
        }
    }

    /** Budgets spread evenly on a log scale from the cheapest to the dearest setting, {@code count} of them. */
    public static List<Long> defaultBudgets(List<AllocationModel.Observation> settings, int count) {
        double lo = settings.stream().mapToDouble(AllocationModel.Observation::tokens).min().orElse(1);
        double hi = settings.stream().mapToDouble(AllocationModel.Observation::tokens).max().orElse(1);
        TreeSet<Long> budgets = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            double t = count == 1 ? 1 : (double) i / (count - 1);
            budgets.add(Math.round(Math.exp(Math.log(Math.max(1, lo)) * (1 - t) + Math.log(Math.max(1, hi)) * t)));
        }
        return new ArrayList<>(budgets);
    }

    /** Markdown table of the comparison. */
    public static String table(List<Line> lines) {
        StringBuilder sb = new StringBuilder("| token budget | planned (fold 1 / fold 2) | predicted | held-out accuracy "
                + "| tokens | best fixed at ≤ spend (oracle) | accuracy | tokens | Δ points | fixed picked on the "
                + "fitted half, no model | accuracy | tokens | Δ points |\n"
                + "|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|\n");
        for (Line l : lines) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.3f | %.3f | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    l.budgetTokens, l.planned, l.plannedPredicted, l.plannedAccuracy, l.plannedTokens, l.bestFixed,
                    number("%.3f", l.bestFixedAccuracy), number("%.0f", l.bestFixedTokens), number("%+.1f", l.deltaPoints()),
                    l.pickedFixed, number("%.3f", l.pickedFixedAccuracy), number("%.0f", l.pickedFixedTokens),
                    number("%+.1f", l.deltaPickedPoints())));
        }
        return sb.toString();
    }

    /** A figure, or "-" where there is none (no fixed setting within the budget). */
    private static String number(String format, double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }

    private static AllocationModel.Observation mostAccurate(List<AllocationModel.Observation> settings, double maxTokens) {
        return settings.stream().filter(o -> o.tokens() <= maxTokens)
                .max(Comparator.comparingDouble(AllocationModel.Observation::accuracy)
                        .thenComparing(Comparator.comparingDouble(AllocationModel.Observation::tokens).reversed()))
                .orElse(null);
    }

    private static Map<String, AllocationModel.Observation> byKey(List<AllocationModel.Observation> settings) {
        Map<String, AllocationModel.Observation> out = new LinkedHashMap<>();
        settings.forEach(o -> out.put(AllocationModel.settingKey(o.strategy(), o.k(), o.n()), o));
        return out;
    }

    private static String name(AllocationModel.Observation o) {
        return o.strategy() + " k=" + o.k() + " N=" + o.n();
    }
}
