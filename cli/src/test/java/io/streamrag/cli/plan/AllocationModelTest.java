package io.streamrag.cli.plan;

import io.streamrag.common.plan.BudgetPlan;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The allocation model's fit: known coefficients back from synthetic sweeps, R² by hand, degenerate grids. */
class AllocationModelTest {

    /** A setting whose empirical logit is {@code intercept + a ln k + b ln n} up to rounding of a million questions. */
    static AllocationModel.Observation exact(String strategy, int k, int n, double intercept, double a, double b) {
        int questions = 1_000_000;
        double p = AllocationModel.sigmoid(intercept + a * Math.log(k) + b * Math.log(n));
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
        AllocationModel m = AllocationModel.fit(obs);
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
        assertThat(m.predict("RAG", 8, 8)).isCloseTo(AllocationModel.sigmoid(-1.0 + 0.8 * Math.log(8)), within(1e-4));
        assertThat(m.predict("ITERDRAG", 1, 1)).isNaN();
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
        BudgetPlan.Fit f = AllocationModel.fit(obs).fits().get("RAG");
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
        AllocationModel m = AllocationModel.fit(obs);
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
}
