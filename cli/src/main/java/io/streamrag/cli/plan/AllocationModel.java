package io.streamrag.cli.plan;

import io.streamrag.common.plan.BudgetPlan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The computation-allocation model of DRAG/IterDRAG (Yue et al., "Inference Scaling for Long-Context Retrieval
 * Augmented Generation"), σ⁻¹(accuracy) linear in ln k and ln N (N counted as the {@link #votes} it is worth),
 * fitted by least squares on the empirical logits of swept settings, in one of three {@link Form}s. The paper's third factor, iterations (and DRAG's shots), is a job
 * option here, fixed during a sweep, so it sits in each strategy's intercept.
 */
public final class AllocationModel {

    /** How the model bends and what its strategies share. */
    public enum Form {
        /** Per strategy: intercept + a·ln k + b·ln N (the paper's form; monotone in k). */
        LOG_LINEAR("per strategy: logit(accuracy) = intercept + logK*ln(k) + logN*ln(votes(N))"),
        /** Per strategy: intercept + a·ln k + q·(ln k)² + b·ln N (a peak in k where passages start to distract). */
        CONCAVE("per strategy: logit(accuracy) = intercept + logK*ln(k) + logK2*ln(k)^2 + logN*ln(votes(N))"),
        /** One intercept per strategy, a, q and b shared by all strategies (pooling as shrinkage for small sweeps). */
        CONCAVE_SHARED("logit(accuracy) = intercept per strategy + logK*ln(k) + logK2*ln(k)^2 + logN*ln(votes(N)), "
                + "the slopes shared by all strategies");

        final String formula;

        Form(String formula) {
            this.formula = formula;
        }

        public String formula() {
            return formula;
        }

        boolean squared() {
            return this != LOG_LINEAR;
        }
    }

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

    private final Form form;
    private final Map<String, BudgetPlan.Fit> fits;
    private final double r2;
    private final double r2Accuracy;

    private AllocationModel(Form form, Map<String, BudgetPlan.Fit> fits, double r2, double r2Accuracy) {
        this.form = form;
        this.fits = fits;
        this.r2 = r2;
        this.r2Accuracy = r2Accuracy;
    }

    /** Fits the model of {@code form} over the observations; R² over all of them, on logits and on accuracy. */
    public static AllocationModel fit(List<Observation> observations, Form form) {
        Map<String, List<Observation>> byStrategy = new LinkedHashMap<>();
        observations.forEach(o -> byStrategy.computeIfAbsent(o.strategy(), s -> new ArrayList<>()).add(o));
        Map<String, BudgetPlan.Fit> fits = new LinkedHashMap<>();
        if (form == Form.CONCAVE_SHARED) {
            fitShared(observations, new ArrayList<>(byStrategy.keySet()), fits);
        } else {
            byStrategy.forEach((strategy, obs) -> {
                double[] beta = leastSquares(design(obs, List.of(), form.squared()), logits(obs));
                fits.put(strategy, coefficients(strategy, beta[0], beta[1], beta[2], beta[3]));
            });
        }
        byStrategy.forEach((strategy, obs) -> {
            BudgetPlan.Fit f = fits.get(strategy);
            f.points = obs.size();
            f.r2 = rSquared(logits(obs), obs.stream().mapToDouble(o -> linear(f, o.k(), o.n())).toArray());
        });
        double[] accuracy = observations.stream().mapToDouble(Observation::accuracy).toArray();
        double[] fitted = observations.stream().mapToDouble(o -> linear(fits.get(o.strategy()), o.k(), o.n())).toArray();
        double[] predicted = Arrays.stream(fitted).map(AllocationModel::sigmoid).toArray();
        return new AllocationModel(form, fits, rSquared(logits(observations), fitted), rSquared(accuracy, predicted));
    }

    /** One regression over every strategy: the first strategy's intercept, offsets of the others, shared slopes. */
    private static void fitShared(List<Observation> obs, List<String> strategies, Map<String, BudgetPlan.Fit> fits) {
        List<String> offsets = strategies.subList(1, strategies.size());
        double[] beta = leastSquares(design(obs, offsets, true), logits(obs));
        for (String s : strategies) {
            int offset = offsets.indexOf(s);
            double intercept = beta[0] + (offset < 0 ? 0 : beta[4 + offset]);
            fits.put(s, coefficients(s, intercept, beta[1], beta[2], beta[3]));
        }
    }

    /**
     * Rows (1, ln k, (ln k)², ln N, one indicator per strategy in {@code offsets}). The square column is left at 0
     * (and so out of the fit) without {@code squared} or when fewer than 3 distinct k were swept, where it is not
     * identified.
     */
    private static double[][] design(List<Observation> obs, List<String> offsets, boolean squared) {
        boolean bend = squared && obs.stream().mapToInt(Observation::k).distinct().count() >= 3;
        double[][] x = new double[obs.size()][];
        for (int i = 0; i < obs.size(); i++) {
            Observation o = obs.get(i);
            double lk = Math.log(o.k());
            double[] row = new double[4 + offsets.size()];
            row[0] = 1;
            row[1] = lk;
            row[2] = bend ? lk * lk : 0;
            row[3] = Math.log(votes(o.n()));
            int offset = offsets.indexOf(o.strategy());
            if (offset >= 0) {
                row[4 + offset] = 1;
            }
            x[i] = row;
        }
        return x;
    }

    private static double[] logits(List<Observation> obs) {
        return obs.stream().mapToDouble(Observation::logit).toArray();
    }

    private static BudgetPlan.Fit coefficients(String strategy, double intercept, double logK, double logK2, double logN) {
        BudgetPlan.Fit f = new BudgetPlan.Fit();
        f.strategy = strategy;
        f.intercept = intercept;
        f.logK = logK;
        f.logK2 = logK2;
        f.logN = logN;
        return f;
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
        plan.model = form.formula() + ", least squares on the empirical logits (c+0.5)/(q+1) of the swept settings, "
                + "votes(N) = N, or N-1 when N is even (vote ties go to candidate 0) "
                + "(DRAG/IterDRAG computation-allocation model; iterations and shots fixed by the job's options, in the "
                + "intercept)";
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
        double lk = Math.log(k);
        return f.intercept + f.logK * lk + f.logK2 * lk * lk + f.logN * Math.log(votes(n));
    }

    /**
     * The votes N candidates are worth: an even N counts as N−1, because the vote gives ties to the lowest candidate
     * index, and with two answers a majority of N with that tie rule is right exactly as often as one of N−1 (with
     * N=2 it always returns candidate 0's answer, that of N=1).
     */
    static int votes(int n) {
        return n % 2 == 0 ? n - 1 : n;
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
