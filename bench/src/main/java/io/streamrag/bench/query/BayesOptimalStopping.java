package io.streamrag.bench.query;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The best any stopping rule can do on {@link AdaptiveSamplingBenchmark}'s questions: a rule that knows p and that
 * wrong answers are spread evenly over the distractors, found exactly by dynamic programming over the (sorted)
 * vote counts. It minimises calls − λ·P(correct); sweeping λ traces the frontier of calls against accuracy. No real
 * rule knows p, so this is a lower bound on the calls for a given loss, not a rule to use.
 */
final class BayesOptimalStopping {

    /** Calls and accuracy of the optimal policy for one λ, and the accuracy of always asking N. */
    record Point(double calls, double accuracy, double fullAccuracy) {}

    private final int n;
    private final int answers;
    private final double p;
    private final double q;
    private final int firstWave;
    private final int waveSize;
    private double lambda;
    private final Map<Long, double[]> memo = new HashMap<>();

    BayesOptimalStopping(int n, int distractors, double p, int firstWave, int waveSize) {
        this.n = n;
        this.answers = distractors + 1;
        this.p = p;
        this.q = (1 - p) / distractors;
        this.firstWave = firstWave;
        this.waveSize = waveSize;
    }

    /** The least mean calls whose loss against full N is at most {@code maxLoss} (bisection on λ). */
    Point leastCallsWithin(double maxLoss) {
        double lo = 1;
        double hi = 1e6;
        Point best = at(hi);
        for (int i = 0; i < 60; i++) {
            double mid = Math.sqrt(lo * hi);
            Point pt = at(mid);
            if (pt.fullAccuracy() - pt.accuracy() <= maxLoss) {
                best = pt;
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return best;
    }

    Point at(double lambda) {
        this.lambda = lambda;
        memo.clear();
        double[] start = value(new int[answers], firstWave, true);
        this.lambda = 0; // the full-N accuracy: never stop early
        memo.clear();
        double full = value(new int[answers], n, false)[2];
        memo.clear();
        return new Point(start[1], start[2], full);
    }

    /** {value, calls, accuracy} from counts {@code c} with {@code pending} samples of the current wave to draw. */
    private double[] value(int[] c, int pending, boolean mayStop) {
        int used = Arrays.stream(c).sum();
        long key = key(c) * 64 + pending * 2 + (mayStop ? 1 : 0);
        double[] cached = memo.get(key);
        if (cached != null) {
            return cached;
        }
        double[] post = posterior(c);
        double[] result;
        if (pending > 0) {
            result = new double[3];
            for (int i = 0; i < answers; i++) {
                double pi = post[i] * p + (1 - post[i]) * q;
                int[] next = c.clone();
                next[i]++;
                Arrays.sort(next);
                double[] v = value(next, pending - 1, mayStop);
                result[0] += pi * v[0];
                result[1] += pi * v[1];
                result[2] += pi * v[2];
            }
            result[0] -= 1;
            result[1] += 1;
        } else {
            double accuracy = Arrays.stream(post).max().orElse(0);
            double[] stop = {lambda * accuracy, 0, accuracy};
            if (used >= n) {
                result = stop;
            } else {
                double[] go = value(c, Math.min(waveSize, n - used), mayStop);
                result = mayStop && stop[0] >= go[0] ? stop : go;
            }
        }
        memo.put(key, result);
        return result;
    }

    /** P(answer i is the right one | counts): proportional to (p/q)^c_i, all answers equally likely a priori. */
    private double[] posterior(int[] c) {
        double ratio = p / q;
        int max = Arrays.stream(c).max().orElse(0);
        double[] w = new double[answers];
        double sum = 0;
        for (int i = 0; i < answers; i++) {
            w[i] = Math.pow(ratio, c[i] - max);
            sum += w[i];
        }
        for (int i = 0; i < answers; i++) {
            w[i] /= sum;
        }
        return w;
    }

    private static long key(int[] sorted) {
        long k = 0;
        for (int x : sorted) {
            k = k * 33 + x;
        }
        return k;
    }
}
