package io.streamrag.cli.plan;

import io.streamrag.common.plan.BudgetPlan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The computation-allocation model of DRAG/IterDRAG (Yue et al., "Inference Scaling for Long-Context Retrieval
 * Augmented Generation"): per strategy, σ⁻¹(accuracy) = intercept + a·ln k + b·ln N, fitted by least squares on the
 * empirical logits of swept settings. The paper's third factor, iterations (and DRAG's shots), is a job option here,
 * fixed during a sweep, so it sits in each strategy's intercept.
 */
public final class AllocationModel {

    /** What a sweep measured for one setting over some questions. */
    public record Observation(String strategy, int k, int n, int correct, int questions, double tokens, double ms) {

        public double accuracy() {
            return questions == 0 ? 0 : (double) correct / questions;
        }

        /** Empirical logit with the usual ½ correction, finite at 0 and at every question right. */
        double logit() {
            double p = (correct + 0.5) / (questions + 1.0);
            return Math.log(p / (1 - p));
        }
    }

    /** The key of a setting, one strategy at one k and N (how sweep rows and observations are matched). */
    static String settingKey(String strategy, int k, int n) {
        return strategy + "," + k + "," + n;
    }

    private final Map<String, BudgetPlan.Fit> fits;
    private final double r2;
    private final double r2Accuracy;

    private AllocationModel(Map<String, BudgetPlan.Fit> fits, double r2, double r2Accuracy) {
        this.fits = fits;
        this.r2 = r2;
        this.r2Accuracy = r2Accuracy;
    }

    /** Fits one line per strategy over its observations; R² over all of them, on logits and on accuracy. */
    public static AllocationModel fit(List<Observation> observations) {
        Map<String, List<Observation>> byStrategy = new LinkedHashMap<>();
        observations.forEach(o -> byStrategy.computeIfAbsent(o.strategy(), s -> new ArrayList<>()).add(o));
        Map<String, BudgetPlan.Fit> fits = new LinkedHashMap<>();
        byStrategy.forEach((strategy, obs) -> {
            double[][] x = new double[obs.size()][];
            double[] y = new double[obs.size()];
            for (int i = 0; i < obs.size(); i++) {
                x[i] = new double[] {1, Math.log(obs.get(i).k()), Math.log(obs.get(i).n())};
                y[i] = obs.get(i).logit();
            }
            double[] beta = leastSquares(x, y);
            BudgetPlan.Fit f = new BudgetPlan.Fit();
            f.strategy = strategy;
            f.intercept = beta[0];
            f.logK = beta[1];
            f.logN = beta[2];
            f.points = obs.size();
            f.r2 = rSquared(y, predictions(x, beta));
            fits.put(strategy, f);
        });
        double[] logits = new double[observations.size()];
        double[] fitted = new double[observations.size()];
        double[] accuracy = new double[observations.size()];
        double[] predicted = new double[observations.size()];
        for (int i = 0; i < observations.size(); i++) {
            Observation o = observations.get(i);
            logits[i] = o.logit();
            fitted[i] = linear(fits.get(o.strategy()), o.k(), o.n());
            accuracy[i] = o.accuracy();
            predicted[i] = sigmoid(fitted[i]);
        }
        return new AllocationModel(fits, rSquared(logits, fitted), rSquared(accuracy, predicted));
    }

    public Map<String, BudgetPlan.Fit> fits() {
        return fits;
    }

    /** R² on the fitted scale (logits of accuracy), all strategies together. */
    public double r2() {
        return r2;
    }

    /** R² of the predicted accuracies against the measured ones. */
    public double r2Accuracy() {
        return r2Accuracy;
    }

    /** Predicted accuracy of a setting; NaN for a strategy the model was not fitted on. */
    public double predict(String strategy, int k, int n) {
        BudgetPlan.Fit f = fits.get(strategy);
        return f == null ? Double.NaN : sigmoid(linear(f, k, n));
    }

    /** The plan over the observed settings: each with the model's accuracy and its measured tokens and latency. */
    public BudgetPlan plan(List<Observation> settings, String source, int fitQuestions) {
        BudgetPlan plan = new BudgetPlan();
        plan.model = "per strategy: logit(accuracy) = intercept + logK*ln(k) + logN*ln(N), least squares on the "
                + "empirical logits (c+0.5)/(q+1) of the swept settings (DRAG/IterDRAG computation-allocation model; "
                + "iterations and shots fixed by the job's options, in the intercept)";
        plan.source = source;
        plan.fitQuestions = fitQuestions;
        plan.r2 = r2;
        plan.r2Accuracy = r2Accuracy;
        plan.fits.addAll(fits.values());
        for (Observation o : settings) {
            plan.settings.add(new BudgetPlan.Setting(o.strategy(), o.k(), o.n(), predict(o.strategy(), o.k(), o.n()), o.tokens(), o.ms()));
        }
        return plan;
    }

    private static double linear(BudgetPlan.Fit f, int k, int n) {
        return f.intercept + f.logK * Math.log(k) + f.logN * Math.log(n);
    }

    static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * Ordinary least squares through the normal equations. A column that is constant apart from the intercept column
     * (e.g. a sweep with one k) cannot be told apart from the intercept: its coefficient is 0.
     */
    static double[] leastSquares(double[][] x, double[] y) {
        int p = x[0].length;
        boolean[] used = new boolean[p];
        for (int j = 0; j < p; j++) {
            used[j] = j == 0 || varies(x, j);
        }
        int m = 0;
        for (boolean u : used) {
            m += u ? 1 : 0;
        }
        int[] cols = new int[m];
        for (int j = 0, c = 0; j < p; j++) {
            if (used[j]) {
                cols[c++] = j;
            }
        }
        double[][] a = new double[m][m + 1];
        for (int i = 0; i < x.length; i++) {
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < m; c++) {
                    a[r][c] += x[i][cols[r]] * x[i][cols[c]];
                }
                a[r][m] += x[i][cols[r]] * y[i];
            }
        }
        double[] solved = solve(a);
        double[] beta = new double[p];
        for (int c = 0; c < m; c++) {
            beta[cols[c]] = solved[c];
        }
        return beta;
    }

    private static boolean varies(double[][] x, int j) {
        for (double[] row : x) {
            if (Math.abs(row[j] - x[0][j]) > 1e-12) {
                return true;
            }
        }
        return false;
    }

    /** Gauss-Jordan elimination with partial pivoting on an augmented m×(m+1) matrix. */
    private static double[] solve(double[][] a) {
        int m = a.length;
        for (int col = 0; col < m; col++) {
            int pivot = col;
            for (int r = col + 1; r < m; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            if (Math.abs(a[col][col]) < 1e-12) {
                throw new IllegalArgumentException("the swept settings do not determine the model (too few distinct k or N)");
            }
            for (int r = 0; r < m; r++) {
                if (r != col) {
                    double f = a[r][col] / a[col][col];
                    for (int c = col; c <= m; c++) {
                        a[r][c] -= f * a[col][c];
                    }
                }
            }
        }
        double[] beta = new double[m];
        for (int r = 0; r < m; r++) {
            beta[r] = a[r][m] / a[r][r];
        }
        return beta;
    }

    private static double[] predictions(double[][] x, double[] beta) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < beta.length; j++) {
                out[i] += x[i][j] * beta[j];
            }
        }
        return out;
    }

    /** 1 − SS_res / SS_tot; 1 when the data do not vary and are fitted exactly, 0 when they do not vary otherwise. */
    static double rSquared(double[] y, double[] fitted) {
        double mean = 0;
        for (double v : y) {
            mean += v / y.length;
        }
        double res = 0;
        double tot = 0;
        for (int i = 0; i < y.length; i++) {
            res += (y[i] - fitted[i]) * (y[i] - fitted[i]);
            tot += (y[i] - mean) * (y[i] - mean);
        }
        if (tot < 1e-15) {
            return res < 1e-15 ? 1 : 0;
        }
        return 1 - res / tot;
    }
}
