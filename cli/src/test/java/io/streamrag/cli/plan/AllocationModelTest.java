package io.streamrag.cli.plan;

import io.streamrag.common.plan.BudgetPlan;
import io.streamrag.common.records.Answer;
import io.streamrag.common.records.Question;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The allocation model's fit: known coefficients and peaks back from synthetic sweeps, R² by hand, degenerate grids. */
class AllocationModelTest {

    /**
     * A setting whose empirical logit is {@code intercept + a ln k + b ln votes(n)} up to rounding of a million
     * questions.
     */
    static AllocationModel.Observation exact(String strategy, int k, int n, double intercept, double a, double b) {
        return exact(strategy, k, n, intercept, a, 0, b);
    }

    /** As above with a curvature {@code q (ln k)²}. */
    static AllocationModel.Observation exact(String strategy, int k, int n, double intercept, double a, double q, double b) {
        int questions = 1_000_000;
        double lk = Math.log(k);
        double p = AllocationModel.sigmoid(intercept + a * lk + q * lk * lk + b * Math.log(AllocationModel.votes(n)));
        int correct = (int) Math.round(p * (questions + 1) - 0.5);
        return new AllocationModel.Observation(strategy, k, n, correct, questions, 100.0 * k * n, 10.0 * k);
    }

    @Test
    void recoversKnownCoefficientsPerStrategy() {
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {1, 2, 4, 8}) {
                obs.add(exact("RAG", k, n, -1.0, 0.5, 0.3));
                obs.add(exact("DRAG", k, n, -0.5, 0.2, -0.1));
            }
        }
        AllocationModel m = AllocationModel.fit(obs, AllocationModel.Form.LOG_LINEAR);
        BudgetPlan.Fit rag = m.fits().get("RAG");
        assertThat(rag.intercept).isCloseTo(-1.0, within(1e-4));
        assertThat(rag.logK).isCloseTo(0.5, within(1e-4));
        assertThat(rag.logN).isCloseTo(0.3, within(1e-4));
        assertThat(rag.points).isEqualTo(16);
        BudgetPlan.Fit drag = m.fits().get("DRAG");
        assertThat(drag.intercept).isCloseTo(-0.5, within(1e-4));
        assertThat(drag.logK).isCloseTo(0.2, within(1e-4));
        assertThat(drag.logN).isCloseTo(-0.1, within(1e-4));
        assertThat(m.r2()).isCloseTo(1.0, within(1e-6));
        assertThat(m.r2Accuracy()).isCloseTo(1.0, within(1e-6));
        assertThat(m.predict("RAG", 8, 8)).isCloseTo(AllocationModel.sigmoid(-1.0 + 0.5 * Math.log(8) + 0.3 * Math.log(7)), within(1e-4));
        assertThat(m.predict("ITERDRAG", 1, 1)).isNaN();
    }

    @Test
    void anEvenNIsWorthTheOddNBelowItSoThePlanNeverPaysForIt() {
        // Measured as the vote makes it: N=2 answers as N=1 (a 1-1 split goes to candidate 0), N=4 as well as N=3.
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {1, 2, 4, 8}) {
                obs.add(exact("RAG", k, n, -1.0, 0.5, 0.3));
            }
        }
        AllocationModel m = AllocationModel.fit(obs, AllocationModel.Form.LOG_LINEAR);
        assertThat(m.r2()).isCloseTo(1.0, within(1e-6)); // ln N itself would not fit N=1 and N=2 alike
        assertThat(m.predict("RAG", 4, 2)).isEqualTo(m.predict("RAG", 4, 1));
        BudgetPlan plan = m.plan(obs, "s", 1);
        for (BudgetPlan.Setting s : plan.settings) {
            // Whatever the budget, N=1 at the same k predicts as much for fewer tokens.
            Answer.Plan p = plan.choose(new Question.Budget((long) Math.ceil(s.tokens()), null), null, null, null);
            assertThat(p.n).as("budget %s", s.tokens()).isNotEqualTo(2);
        }
        assertThat(AllocationModel.votes(1)).isEqualTo(1);
        assertThat(AllocationModel.votes(2)).isEqualTo(1);
        assertThat(AllocationModel.votes(8)).isEqualTo(7);
    }

    @Test
    void leastSquaresAndRSquaredMatchAHandComputedCase() {
        // y = 1 + 2t + e with e orthogonal to the design: the fit is exactly (1, 2), SS_res = 4, SS_tot = 24.
        double[][] x = {{1, 0}, {1, 1}, {1, 2}, {1, 3}};
        double[] y = {1 + 1, 3 - 1, 5 - 1, 7 + 1};
        double[] beta = AllocationModel.leastSquares(x, y);
        assertThat(beta[0]).isCloseTo(1.0, within(1e-12));
        assertThat(beta[1]).isCloseTo(2.0, within(1e-12));
        double[] fitted = {1, 3, 5, 7};
        assertThat(AllocationModel.rSquared(y, fitted)).isCloseTo(1 - 4.0 / 24.0, within(1e-12));
    }

    @Test
    void aSweepWithOneKLeavesItsCoefficientAtZero() {
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int n : new int[] {1, 2, 4, 8}) {
            obs.add(exact("RAG", 5, n, -1.0, 0.0, 0.4));
        }
        BudgetPlan.Fit f = AllocationModel.fit(obs, AllocationModel.Form.LOG_LINEAR).fits().get("RAG");
        assertThat(f.logK).isZero();
        assertThat(f.logN).isCloseTo(0.4, within(1e-4));
        assertThat(f.intercept).isCloseTo(-1.0, within(1e-4));
    }

    @Test
    void thePlanCarriesEverySettingWithItsMeasuredCostAndPredictedAccuracy() {
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 4}) {
            for (int n : new int[] {1, 4}) {
                obs.add(exact("RAG", k, n, -1.0, 0.5, 0.3));
            }
        }
        AllocationModel m = AllocationModel.fit(obs, AllocationModel.Form.LOG_LINEAR);
        BudgetPlan plan = m.plan(obs, "sweep.csv", 1_000_000);
        assertThat(plan.settings).hasSize(4);
        BudgetPlan.Setting s = plan.settings.get(3);
        assertThat(s.k()).isEqualTo(4);
        assertThat(s.n()).isEqualTo(4);
        assertThat(s.tokens()).isEqualTo(1600);
        assertThat(s.ms()).isEqualTo(40);
        assertThat(s.predictedAccuracy()).isCloseTo(m.predict("RAG", 4, 4), within(1e-12));
        assertThat(plan.fits).hasSize(1);
        assertThat(plan.r2).isEqualTo(m.r2());
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    /** Accuracy peaking at k = e^1.2 ≈ 3.3 (of 1, 2, 4, 8 best at 4), rising with N; RAG and DRAG one offset apart. */
    private static List<AllocationModel.Observation> peakedSweep(double dragOffset) {
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {1, 2, 4, 8}) {
                obs.add(exact("RAG", k, n, -1.0, 1.2, -0.5, 0.3));
                obs.add(exact("DRAG", k, n, -1.0 + dragOffset, 1.2, -0.5, 0.3));
            }
        }
        return obs;
    }

    @Test
    void theConcaveFormsRecoverAPeakInKThatTheLogLinearFormMisses() {
        List<AllocationModel.Observation> obs = peakedSweep(0.4);
        for (AllocationModel.Form form : List.of(AllocationModel.Form.CONCAVE, AllocationModel.Form.CONCAVE_SHARED)) {
            AllocationModel m = AllocationModel.fit(obs, form);
            BudgetPlan.Fit drag = m.fits().get("DRAG");
            assertThat(drag.intercept).as(form.name()).isCloseTo(-0.6, within(1e-4));
            assertThat(drag.logK).as(form.name()).isCloseTo(1.2, within(1e-4));
            assertThat(drag.logK2).as(form.name()).isCloseTo(-0.5, within(1e-4));
            assertThat(drag.logN).as(form.name()).isCloseTo(0.3, within(1e-4));
            assertThat(m.fits().get("RAG").intercept).as(form.name()).isCloseTo(-1.0, within(1e-4));
            assertThat(m.r2()).as(form.name()).isCloseTo(1.0, within(1e-6));
            assertThat(m.plan(obs, "s", 1).choose(new Question.Budget(null, null), null, null, null))
                    .as(form.name()).extracting(p -> p.strategy, p -> p.k, p -> p.n).containsExactly("DRAG", 4, 8);
        }
        // Monotone in k, the paper's form takes the most passages it may and fits worse.
        AllocationModel old = AllocationModel.fit(obs, AllocationModel.Form.LOG_LINEAR);
        assertThat(old.fits().get("DRAG").logK2).isZero();
        assertThat(old.r2()).isLessThan(0.95);
        assertThat(old.plan(obs, "s", 1).choose(new Question.Budget(null, null), null, null, null).k).isEqualTo(8);
    }

    @Test
    void theSharedFormPoolsSlopesAcrossStrategiesAndKeepsTheirIntercepts() {
        // RAG's and DRAG's slopes differ; the shared fit lands between them, each strategy keeps its own level.
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {1, 2, 4, 8}) {
                obs.add(exact("RAG", k, n, -1.0, 0.6, 0.0, 0.2));
                obs.add(exact("DRAG", k, n, -0.5, 0.2, 0.0, 0.4));
            }
        }
        AllocationModel m = AllocationModel.fit(obs, AllocationModel.Form.CONCAVE_SHARED);
        BudgetPlan.Fit rag = m.fits().get("RAG");
        BudgetPlan.Fit drag = m.fits().get("DRAG");
        assertThat(rag.logK).isEqualTo(drag.logK).isCloseTo(0.4, within(1e-3));
        assertThat(rag.logN).isEqualTo(drag.logN).isCloseTo(0.3, within(1e-3));
        assertThat(rag.logK2).isEqualTo(drag.logK2).isCloseTo(0.0, within(1e-3));
        for (String strategy : new String[] {"RAG", "DRAG"}) {
            // Least squares with an intercept per strategy: each strategy's mean fitted logit is its mean measured one.
            double measured = obs.stream().filter(o -> o.strategy().equals(strategy))
                    .mapToDouble(AllocationModel.Observation::logit).average().orElseThrow();
            double fitted = obs.stream().filter(o -> o.strategy().equals(strategy))
                    .mapToDouble(o -> logit(m.predict(strategy, o.k(), o.n()))).average().orElseThrow();
            assertThat(fitted).as(strategy).isCloseTo(measured, within(1e-9));
        }
        // Mean ln k over 1, 2, 4, 8 is ln 8 / 2; mean ln votes(N) over 1, 1, 3, 7 is ln 21 / 4.
        assertThat(drag.intercept - rag.intercept).isCloseTo(0.5 - 0.4 * Math.log(8) / 2 + 0.2 * Math.log(21) / 4,
                within(1e-3));
        assertThat(m.r2()).isLessThan(1.0);
        assertThat(AllocationModel.fit(obs, AllocationModel.Form.CONCAVE).r2()).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void withFewerThanThreeKTheCurvatureIsLeftOut() {
        List<AllocationModel.Observation> obs = new ArrayList<>();
        for (int k : new int[] {1, 4}) {
            for (int n : new int[] {1, 2, 4}) {
                obs.add(exact("RAG", k, n, -1.0, 0.5, 0.3));
            }
        }
        BudgetPlan.Fit f = AllocationModel.fit(obs, AllocationModel.Form.CONCAVE_SHARED).fits().get("RAG");
        assertThat(f.logK2).isZero();
        assertThat(f.logK).isCloseTo(0.5, within(1e-4));
        assertThat(f.logN).isCloseTo(0.3, within(1e-4));
    }
}
