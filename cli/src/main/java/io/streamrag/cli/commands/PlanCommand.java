package io.streamrag.cli.commands;

import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.plan.AllocationModel;
import io.streamrag.cli.plan.PlanComparison;
import io.streamrag.cli.plan.SweepResults;
import io.streamrag.common.json.Json;
import io.streamrag.common.plan.BudgetPlan;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntPredicate;

/**
 * {@code rag plan}: fits the computation-allocation model on a sweep, writes the budget plan the query job loads
 * ({@code query.plan}), and compares planned against fixed settings on held-out questions.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Fit the computation-allocation model (logit(accuracy) in ln k, (ln k)² and ln N, an even N "
                + "counted as N-1 since vote ties go to candidate 0) on SWEEP.csv "
                + "and write a budget plan for the query job (--set query.plan=FILE).",
                "The plan is fitted on every question. With sweep-questions.csv (rag sweep writes it) the table "
                + "compares, per token budget, planned settings judged on questions their plan was not fitted on (one "
                + "plan fitted on the odd-numbered questions, one on the even-numbered, each judged on the other half) "
                + "with the best fixed setting at equal or lower spend. With sweep.csv (aggregates) or --no-held-out "
                + "there is no comparison."})
public class PlanCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SWEEP.csv", description = "sweep-questions.csv (or sweep.csv) of rag sweep.")
    Path sweep;

    @Option(names = "--out", defaultValue = "plan.json", description = "Plan file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--held-out", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Compare planned and fixed settings on held-out questions (default: ${DEFAULT-VALUE}).")
    boolean heldOut;

    @Option(names = "--budgets", split = ",", paramLabel = "TOKENS",
            description = "Token budgets of the comparison (default: 6 spread from the cheapest to the dearest setting).")
    List<Long> budgets;

    @Option(names = "--model", defaultValue = "CONCAVE_SHARED", paramLabel = "FORM",
            description = "Model form: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; LOG_LINEAR is the paper's "
                    + "per-strategy form, monotone in k).")
    AllocationModel.Form form;

    @Option(names = "--json", description = "Print one JSON document (fit, plan file, comparison) on stdout; "
            + "human lines go to stderr.")
    boolean json;

    @Override
    public Integer call() {
        PrintStream human = json ? System.err : System.out;
        SweepResults results;
        try {
            results = SweepResults.read(sweep);
        } catch (IOException | RuntimeException e) {
            System.err.println("Cannot read " + sweep + ": " + e.getMessage());
            return ExitCodes.USAGE;
        }
        boolean split = heldOut && results.perQuestion();
        List<AllocationModel.Observation> all = results.observations(q -> true);
        int questions = results.perQuestion() ? results.questionCount(q -> true)
                : all.stream().mapToInt(AllocationModel.Observation::questions).max().orElse(0);
        if (all.isEmpty()) {
            System.err.println(sweep + " holds no results");
            return ExitCodes.USAGE;
        }
        BudgetPlan plan;
        List<PlanComparison.Fold> folds = new ArrayList<>();
        List<Map<String, Object>> foldReports = new ArrayList<>();
        try {
            plan = AllocationModel.fit(all, form).plan(all, sweep.toString(), questions);
            if (split) {
                for (int half = 1; half >= 0; half--) {
                    int fittedRest = half;
                    IntPredicate fitted = q -> q % 2 == fittedRest;
                    List<AllocationModel.Observation> fit = results.observations(fitted);
                    BudgetPlan foldPlan = AllocationModel.fit(fit, form).plan(fit, sweep.toString(), results.questionCount(fitted));
                    folds.add(new PlanComparison.Fold(foldPlan, fit, results.observations(fitted.negate())));
                    Map<String, Object> f = new LinkedHashMap<>();
                    f.put("fitted", half == 1 ? "odd" : "even");
                    f.put("questions", foldPlan.fitQuestions);
                    f.put("r2", foldPlan.r2);
                    f.put("r2Accuracy", foldPlan.r2Accuracy);
                    foldReports.add(f);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return ExitCodes.USAGE;
        }
        try {
            plan.write(out);
        } catch (IOException e) {
            System.err.println("Cannot write " + out + ": " + e.getMessage());
            return ExitCodes.ERROR;
        }
        human.printf(Locale.ROOT, "Fitted on %d questions x %d settings, model %s: %s%n", questions, all.size(), form,
                form.formula());
        human.println(fitTable(plan));
        human.printf(Locale.ROOT, "R² %.3f on logit(accuracy), %.3f on accuracy. Plan written to %s%n", plan.r2,
                plan.r2Accuracy, out);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", form);
        report.put("fitQuestions", questions);
        report.put("r2", plan.r2);
        report.put("r2Accuracy", plan.r2Accuracy);
        report.put("fits", plan.fits);
        report.put("plan", out.toString());
        if (split) {
            List<Long> levels = budgets != null ? budgets : PlanComparison.defaultBudgets(all, 6);
            List<PlanComparison.Line> lines = PlanComparison.compare(folds, all, levels);
            human.println();
            human.printf(Locale.ROOT, "Held out, cross-fitted: a plan fitted on the odd-numbered questions (%d, R² %.3f "
                            + "logit, %.3f accuracy) judged on the even-numbered, and one fitted on the even-numbered "
                            + "(%d, R² %.3f, %.3f) judged on the odd-numbered; accuracy and tokens pooled over both.%n",
                    folds.get(0).plan().fitQuestions, folds.get(0).plan().r2, folds.get(0).plan().r2Accuracy,
                    folds.get(1).plan().fitQuestions, folds.get(1).plan().r2, folds.get(1).plan().r2Accuracy);
            human.println(PlanComparison.table(lines));
            report.put("folds", foldReports);
            report.put("heldOutQuestions", questions);
            report.put("comparison", lines);
        }
        report.put("exitCode", ExitCodes.OK);
        if (json) {
            System.out.println(Json.toString(report));
        }
        return ExitCodes.OK;
    }

    static String fitTable(BudgetPlan plan) {
        StringBuilder sb = new StringBuilder("| strategy | intercept | ln k | (ln k)² | ln votes(N) | R² (logit) | settings |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (BudgetPlan.Fit f : plan.fits) {
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d |%n", f.strategy,
                    f.intercept, f.logK, f.logK2, f.logN, f.r2, f.points));
        }
        return sb.toString();
    }
}
