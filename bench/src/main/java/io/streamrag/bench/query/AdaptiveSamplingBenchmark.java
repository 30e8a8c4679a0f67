package io.streamrag.bench.query;

import io.streamrag.query.vote.StopRule;

import java.util.SplittableRandom;

/**
 * Adaptive sampling on simulated candidates: each is correct with probability p, else one of several distractors.
 * Compares the job's wave schedule (first wave 3, then 2) under each {@link StopRule} (BETA at threshold 0.95, LEAD
 * at lead 3) against always sampling N=16, and against the binomial prediction for majority voting at N.
 * Arguments: trials, threshold, first wave, wave size, distractors, lead, seed. Last, the frontier: the fewest calls
 * any rule could need within 1 point ({@link BayesOptimalStopping}).
 */
public final class AdaptiveSamplingBenchmark {

    private static int DISTRACTORS = 4;

    public static void main(String[] args) {
        int n = 16;
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        double threshold = args.length > 1 ? Double.parseDouble(args[1]) : 0.95;
        int firstWave = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int waveSize = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        DISTRACTORS = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        int lead = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        long seed = args.length > 6 ? Long.parseLong(args[6]) : 42;
        System.out.printf("Adaptive sampling, N=%d, %d simulated questions per accuracy, %d distractor answers, "
                + "first wave %d, then %d at a time, seed %d%n", n, trials, DISTRACTORS, firstWave, waveSize, seed);
        for (StopRule rule : StopRule.values()) {
            System.out.println(rule == StopRule.BETA
                    ? String.format("rule BETA, threshold %.2f:", threshold)
                    : String.format("rule LEAD, lead %d:", lead));
            for (double p : new double[] {0.6, 0.8}) {
                // Same seed for every rule: both rules see the same simulated questions.
                SplittableRandom random = new SplittableRandom(seed);
                long calls = 0;
                int adaptiveCorrect = 0;
                int fullCorrect = 0;
                for (int t = 0; t < trials; t++) {
                    int[] samples = new int[n];
                    for (int i = 0; i < n; i++) {
                        samples[i] = random.nextDouble() < p ? 0 : 1 + random.nextInt(DISTRACTORS);
                    }
                    fullCorrect += winner(samples, n) == 0 ? 1 : 0;
                    int used = Math.min(firstWave, n);
                    while (used < n) {
                        int[] top = topTwo(samples, used);
                        if (rule.shouldStop(top[0], top[1], n - used, threshold, lead)) {
                            break;
                        }
                        used = Math.min(n, used + waveSize);
                    }
                    calls += used;
                    adaptiveCorrect += winner(samples, used) == 0 ? 1 : 0;
                }
                double meanCalls = (double) calls / trials;
                System.out.printf("  p=%.1f: mean calls %.2f (%.0f%% of N; target <= 40%%), accuracy adaptive %.2f%% vs "
                                + "full N %.2f%% (diff %.2f points; target within 1), binomial P(Bin(%d,%.1f) > %d) = %.2f%%%n",
                        p, meanCalls, 100 * meanCalls / n, 100.0 * adaptiveCorrect / trials, 100.0 * fullCorrect / trials,
                        100.0 * (fullCorrect - adaptiveCorrect) / trials, n, p, n / 2, 100 * binomialMajority(n, p));
            }
        }
        System.out.println("frontier: a rule that knows p and the distractors (Bayes-optimal, exact dynamic programming; "
                + "no real rule knows p):");
        for (double p : new double[] {0.6, 0.8}) {
            BayesOptimalStopping.Point best = new BayesOptimalStopping(n, DISTRACTORS, p, firstWave, waveSize)
                    .leastCallsWithin(0.01);
            System.out.printf("  p=%.1f: least mean calls within 1 point of full N: %.2f (%.0f%% of N), accuracy %.2f%% "
                            + "vs full N %.2f%%%n", p, best.calls(), 100 * best.calls() / n, 100 * best.accuracy(),
                    100 * best.fullAccuracy());
        }
    }

    /** Plurality winner of the first {@code used} samples; ties go to the earliest first occurrence (as the vote). */
    private static int winner(int[] samples, int used) {
        int[] counts = new int[DISTRACTORS + 1];
        int[] first = new int[DISTRACTORS + 1];
        java.util.Arrays.fill(first, Integer.MAX_VALUE);
        for (int i = 0; i < used; i++) {
            counts[samples[i]]++;
            first[samples[i]] = Math.min(first[samples[i]], i);
        }
        int best = 0;
        for (int a = 1; a <= DISTRACTORS; a++) {
            if (counts[a] > counts[best] || counts[a] == counts[best] && first[a] < first[best]) {
                best = a;
            }
        }
        return best;
    }

    private static int[] topTwo(int[] samples, int used) {
        int[] counts = new int[DISTRACTORS + 1];
        for (int i = 0; i < used; i++) {
            counts[samples[i]]++;
        }
        java.util.Arrays.sort(counts);
        return new int[] {counts[DISTRACTORS], counts[DISTRACTORS - 1]};
    }

    /** P(X > n/2) for X ~ Binomial(n, p): strict majority of the correct answer. */
    private static double binomialMajority(int n, double p) {
        double sum = 0;
        for (int k = n / 2 + 1; k <= n; k++) {
            double logC = 0;
            for (int i = 1; i <= k; i++) {
                logC += Math.log(n - k + i) - Math.log(i);
            }
            sum += Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p));
        }
        return sum;
    }
}
