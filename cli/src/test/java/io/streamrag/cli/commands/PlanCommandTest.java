package io.streamrag.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.Rag;
import io.streamrag.cli.plan.SweepResults;
import io.streamrag.common.json.Json;
import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Answer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code rag plan} on synthetic sweeps: plan file, fit, held-out comparison, aggregate input, bad input. */
class PlanCommandTest {

    @TempDir
    Path dir;

    /** Per-question results of a sweep whose true accuracy is sigmoid(-1 + 0.5 ln k + 0.3 ln votes(N)), spread evenly. */
    private Path sweep() throws Exception {
        return sweep(0.5, 0.0);
    }

    /** As above with accuracy sigmoid(-1 + a ln k + curvature (ln k)² + 0.3 ln votes(N)). */
    private Path sweep(double a, double curvature) throws Exception {
        StringBuilder sb = new StringBuilder(SweepResults.QUESTIONS_HEADER).append('\n');
        for (int k : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {1, 2, 4}) {
                double lk = Math.log(k);
                double p = 1 / (1 + Math.exp(-(-1 + a * lk + curvature * lk * lk + 0.3 * Math.log(n % 2 == 0 ? n - 1 : n))));
                for (int q = 1; q <= 200; q++) {
                    boolean correct = (q * 0.6180339887) % 1.0 < p; // low-discrepancy: each half sees about p
                    sb.append(String.format(Locale.ROOT, "RAG,%d,%d,%d,text,ANSWERED,%d,%d,%d%n", k, n, q,
                            correct ? 1 : 0, n * (100 + 200 * k) + q % 7, 10 + k));
                }
            }
        }
        Path file = dir.resolve("sweep-questions.csv");
        Files.writeString(file, sb.toString());
        return file;
    }

    private static String run(Path out, int expectedExit, String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Rag.commandLine(new EnvironmentDefaults(Map.of())).execute(args)).isEqualTo(expectedExit);
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesThePlanAndComparesCrossFittedOnHeldOutHalves() throws Exception {
        Path plan = dir.resolve("plan.json");
        String out = run(plan, ExitCodes.OK, "plan", sweep().toString(), "--out", plan.toString(), "--json");
        JsonNode report = Json.MAPPER.readTree(out);
        assertThat(report.get("fitQuestions").asInt()).isEqualTo(200);
        assertThat(report.get("heldOutQuestions").asInt()).isEqualTo(200);
        assertThat(report.get("folds")).hasSize(2);
        assertThat(report.get("folds").get(0).get("questions").asInt()).isEqualTo(100);
        assertThat(report.get("folds").get(1).get("r2").asDouble()).isGreaterThan(0.9);
        assertThat(report.get("r2").asDouble()).isGreaterThan(0.9);
        JsonNode fit = report.get("fits").get(0);
        assertThat(fit.get("logK").asDouble()).isBetween(0.35, 0.65);
        assertThat(fit.get("logN").asDouble()).isBetween(0.15, 0.45);
        JsonNode lines = report.get("comparison");
        assertThat(lines.size()).isGreaterThanOrEqualTo(4);
        for (JsonNode l : lines) {
            // Planned on one half, measured on the other, within 3 points of the oracle fixed setting.
            assertThat(l.get("plannedAccuracy").asDouble()).isGreaterThanOrEqualTo(l.get("bestFixedAccuracy").asDouble() - 0.03);
            assertThat(l.get("plannedTokens").asDouble()).isLessThanOrEqualTo(l.get("budgetTokens").asDouble() * 1.05);
        }
        BudgetPlan written = BudgetPlan.read(plan);
        assertThat(written.settings).hasSize(12);
        assertThat(written.fitQuestions).isEqualTo(200);
    }

    @Test
    void aPeakInKIsPlannedByTheDefaultModelAndMissedByTheLogLinearOne() throws Exception {
        // True accuracy peaks at k = e^1.2 ≈ 3.3: of 1, 2, 4, 8 the best is 4, whatever the budget above its cost.
        Path sweep = sweep(1.2, -0.5);
        Path plan = dir.resolve("plan.json");
        JsonNode concave = Json.MAPPER.readTree(run(plan, ExitCodes.OK, "plan", sweep.toString(), "--out",
                plan.toString(), "--budgets", "100000", "--json"));
        assertThat(concave.get("model").asText()).isEqualTo("CONCAVE_SHARED");
        assertThat(concave.get("fits").get(0).get("logK2").asDouble()).isBetween(-0.7, -0.3);
        assertThat(concave.get("comparison").get(0).get("planned").asText()).isEqualTo("RAG k=4 N=4");
        assertThat(BudgetPlan.read(plan).model).startsWith("logit(accuracy) = intercept per strategy");
        JsonNode logLinear = Json.MAPPER.readTree(run(plan, ExitCodes.OK, "plan", sweep.toString(), "--out",
                plan.toString(), "--budgets", "100000", "--model", "LOG_LINEAR", "--json"));
        assertThat(logLinear.get("fits").get(0).get("logK2").asDouble()).isZero();
        assertThat(logLinear.get("comparison").get(0).get("planned").asText()).isEqualTo("RAG k=8 N=4");
        assertThat(logLinear.get("r2").asDouble()).isLessThan(concave.get("r2").asDouble());
    }

    @Test
    void theHumanOutputShowsTheFitAndTheTable() throws Exception {
        Path plan = dir.resolve("plan.json");
        String out = run(plan, ExitCodes.OK, "plan", sweep().toString(), "--out", plan.toString(), "--budgets", "500,3000");
        assertThat(out).contains("| RAG |", "R² ", "Held out, cross-fitted", "| 500 | RAG k=", "| 3000 | RAG k=");
    }

    @Test
    void anAggregateSweepIsFittedWithoutComparisonAndGarbageIsAUsageError() throws Exception {
        Path aggregate = dir.resolve("sweep.csv");
        Files.writeString(aggregate, "strategy,k,n,kind,questions,answered,accuracy,retrieval_hit_at_k,cited_right_page,"
                + "mean_tokens,mean_candidates,p50_latency_ms\n"
                + "RAG,1,1,all,50,50,0.2000,0.5,0.4,300.0,1.00,20\n"
                + "RAG,1,1,text,40,40,0.2500,0.5,0.4,300.0,1.00,20\n"
                + "RAG,4,1,all,50,50,0.3000,0.7,0.5,900.0,1.00,25\n"
                + "RAG,4,4,all,50,50,0.4000,0.7,0.5,3600.0,4.00,30\n"
                + "RAG,1,4,all,50,50,0.2600,0.5,0.4,1200.0,4.00,22\n");
        Path plan = dir.resolve("agg-plan.json");
        JsonNode report = Json.MAPPER.readTree(run(plan, ExitCodes.OK, "plan", aggregate.toString(), "--out",
                plan.toString(), "--json"));
        assertThat(report.has("comparison")).isFalse();
        assertThat(BudgetPlan.read(plan).settings).hasSize(4); // the "all" rows only
        Path garbage = dir.resolve("x.csv");
        Files.writeString(garbage, "a,b\n1,2\n");
        run(plan, ExitCodes.USAGE, "plan", garbage.toString(), "--out", plan.toString());
    }

    @Test
    void askPrintsThePlannedSetting() {
        Answer a = new Answer();
        a.status = Answer.Status.ANSWERED;
        a.answer = "8443";
        a.plan = new Answer.Plan();
        a.plan.strategy = "DRAG";
        a.plan.k = 4;
        a.plan.n = 2;
        a.plan.budgetTokens = 3000L;
        a.plan.predictedAccuracy = 0.41;
        a.plan.predictedTokens = 1830;
        a.plan.predictedMs = 950;
        a.plan.withinBudget = true;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AskCommand.print(a, "Which port?", new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("plan: DRAG k=4 N=2 for budget 3000 tokens (predicted accuracy 0.41, ~1830 tokens, p50 ~950 ms)");
    }
}
