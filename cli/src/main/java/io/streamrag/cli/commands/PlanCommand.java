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
        description = {"Fit the computation-allocation model (per strategy, logit(accuracy) linear in ln k and ln N) on "
                + "SWEEP.csv and write a budget plan for the query job (--set query.plan=FILE).",
                "With sweep-questions.csv (rag sweep writes it) the odd-numbered questions are fitted and the "
                + "even-numbered held out: the table compares, per token budget, the planned setting with the best "
                + "fixed setting at equal or lower spend on the held-out questions. With sweep.csv (aggregates) or "
                + "--no-held-out every question is fitted and there is no comparison."})
public class PlanCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SWEEP.csv", description = "sweep-questions.csv (or sweep.csv) of rag sweep.")
    Path sweep;

    @Option(names = "--out", defaultValue = "plan.json", description = "Plan file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--held-out", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Fit on odd-numbered questions, compare on the even-numbered ones (default: ${DEFAULT-VALUE}).")
    boolean heldOut;

    @Option(names = "--budgets", split = ",", paramLabel = "TOKENS",
            description = "Token budgets of the comparison (default: 6 spread from the cheapest to the dearest setting).")
    List<Long> budgets;

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
        IntPredicate fitted = split ? q -> q % 2 == 1 : q -> true;
        IntPredicate held = q -> q % 2 == 0;
        List<AllocationModel.Observation> fit = results.observations(fitted);
        int fitQuestions = results.perQuestion() ? results.questionCount(fitted)
                : fit.stream().mapToInt(o -> o.questions).max().orElse(0);
        if (fit.isEmpty()) {
            System.err.println(sweep + " holds no results");
            return ExitCodes.USAGE;
        }
        AllocationModel model;
        try {
            model = AllocationModel.fit(fit);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return ExitCodes.USAGE;
        }
        BudgetPlan plan = model.plan(fit, sweep.toString(), fitQuestions);
        try {
            plan.write(out);
        } catch (IOException e) {
            System.err.println("Cannot write " + out + ": " + e.getMessage());
            return ExitCodes.ERROR;
        }
        human.printf(Locale.ROOT, "Fitted on %d questions x %d settings%s%n", fitQuestions, fit.size(),
                split ? " (odd-numbered questions; even-numbered held out)" : "");
        human.println(fitTable(plan));
        human.printf(Locale.ROOT, "R² %.3f on logit(accuracy), %.3f on accuracy. Plan written to %s%n", plan.r2,
                plan.r2Accuracy, out);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("fitQuestions", fitQuestions);
        report.put("r2", plan.r2);
        report.put("r2Accuracy", plan.r2Accuracy);
        report.put("fits", plan.fits);
        report.put("plan", out.toString());
        if (split) {
            List<AllocationModel.Observation> test = results.observations(held);
            List<Long> levels = budgets != null ? budgets : PlanComparison.defaultBudgets(fit, 6);
            List<PlanComparison.Line> lines = PlanComparison.compare(plan, fit, test, levels);
            human.println();
            human.printf(Locale.ROOT, "Held out: %d questions%n", results.questionCount(held));
            human.println(PlanComparison.table(lines));
            report.put("heldOutQuestions", results.questionCount(held));
            report.put("comparison", lines);
        }
        report.put("exitCode", ExitCodes.OK);
        if (json) {
            System.out.println(Json.toString(report));
        }
        return ExitCodes.OK;
    }

    static String fitTable(BudgetPlan plan) {
        StringBuilder sb = new StringBuilder("| strategy | intercept | ln k | ln N | R² (logit) | settings |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (BudgetPlan.Fit f : plan.fits) {
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %d |%n", f.strategy, f.intercept,
                    f.logK, f.logN, f.r2, f.points));
        }
        return sb.toString();
    }
}
