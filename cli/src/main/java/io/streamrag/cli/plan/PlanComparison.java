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
 * Planned against fixed settings on held-out questions: for each token budget, the setting the plan (fitted on other
 * questions) picks, the best fixed setting at equal or lower spend measured on the held-out questions themselves (an
 * oracle no plan can beat on average), and the fixed setting one would pick from the fitted questions without a
 * model (most accurate measured within the budget).
 */
public final class PlanComparison {

    /** One budget's line of the table. */
    public static final class Line {
        public long budgetTokens;
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
    }

    private PlanComparison() {}

    /**
     * The table for {@code budgets}. {@code fitted} and {@code heldOut} hold the same settings measured on disjoint
     * questions. The best fixed setting may spend up to the budget or the planned setting's held-out spend, whichever is
     * more, so the plan never wins by spending more.
     */
    public static List<Line> compare(BudgetPlan plan, List<AllocationModel.Observation> fitted,
            List<AllocationModel.Observation> heldOut, List<Long> budgets) {
        Map<String, AllocationModel.Observation> held = new LinkedHashMap<>();
        heldOut.forEach(o -> held.put(key(o.strategy, o.k, o.n), o));
        List<Line> lines = new ArrayList<>();
        for (long budget : budgets) {
            Answer.Plan choice = plan.choose(new Question.Budget(budget, null), null, null, null);
            AllocationModel.Observation p = held.get(key(choice.strategy, choice.k, choice.n));
            if (p == null) {
                continue; // a setting the held-out questions were not swept at
            }
            Line l = new Line();
            l.budgetTokens = budget;
            l.planned = name(p);
            l.plannedPredicted = choice.predictedAccuracy;
            l.plannedAccuracy = p.accuracy();
            l.plannedTokens = p.tokens;
            double cap = Math.max(budget, p.tokens);
            AllocationModel.Observation best = mostAccurate(heldOut, cap);
            l.bestFixed = best == null ? "-" : name(best);
            l.bestFixedAccuracy = best == null ? Double.NaN : best.accuracy();
            l.bestFixedTokens = best == null ? Double.NaN : best.tokens;
            AllocationModel.Observation picked = mostAccurate(fitted, budget);
            AllocationModel.Observation pickedHeld = picked == null ? null : held.get(key(picked.strategy, picked.k, picked.n));
            l.pickedFixed = pickedHeld == null ? "-" : name(pickedHeld);
            l.pickedFixedAccuracy = pickedHeld == null ? Double.NaN : pickedHeld.accuracy();
            l.pickedFixedTokens = pickedHeld == null ? Double.NaN : pickedHeld.tokens;
            lines.add(l);
        }
        return lines;
    }

    /** Budgets spread evenly on a log scale from the cheapest to the dearest setting, {@code count} of them. */
    public static List<Long> defaultBudgets(List<AllocationModel.Observation> settings, int count) {
        double lo = settings.stream().mapToDouble(o -> o.tokens).min().orElse(1);
        double hi = settings.stream().mapToDouble(o -> o.tokens).max().orElse(1);
        TreeSet<Long> budgets = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            double t = count == 1 ? 1 : (double) i / (count - 1);
            budgets.add(Math.round(Math.exp(Math.log(Math.max(1, lo)) * (1 - t) + Math.log(Math.max(1, hi)) * t)));
        }
        return new ArrayList<>(budgets);
    }

    /** Markdown table of the comparison. */
    public static String table(List<Line> lines) {
        StringBuilder sb = new StringBuilder("| token budget | planned (fitted half) | predicted | held-out accuracy | tokens "
                + "| best fixed on held-out at ≤ spend | accuracy | tokens | Δ points | fixed picked on fitted half "
                + "without model | accuracy | tokens |\n|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|\n");
        for (Line l : lines) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.2f | %.3f | %.0f | %s | %.3f | %.0f | %+.1f | %s | %.3f | %.0f |%n",
                    l.budgetTokens, l.planned, l.plannedPredicted, l.plannedAccuracy, l.plannedTokens, l.bestFixed,
                    l.bestFixedAccuracy, l.bestFixedTokens, l.deltaPoints(), l.pickedFixed, l.pickedFixedAccuracy,
                    l.pickedFixedTokens));
        }
        return sb.toString();
    }

    private static AllocationModel.Observation mostAccurate(List<AllocationModel.Observation> settings, double maxTokens) {
        return settings.stream().filter(o -> o.tokens <= maxTokens)
                .max(Comparator.comparingDouble(AllocationModel.Observation::accuracy)
                        .thenComparing(Comparator.comparingDouble((AllocationModel.Observation o) -> o.tokens).reversed()))
                .orElse(null);
    }

    private static String key(String strategy, int k, int n) {
        return strategy + "," + k + "," + n;
    }

    private static String name(AllocationModel.Observation o) {
        return o.strategy + " k=" + o.k + " N=" + o.n;
    }
}
