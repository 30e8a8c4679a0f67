package io.streamrag.query.vote;

/**
 * When adaptive sampling may stop asking (Adaptive-Consistency style): the leader cannot be overtaken by the
 * remaining budget, or under a Beta(1+a, 1+b) posterior on leader-vs-runner-up the leader is better with
 * probability at least the threshold.
 */
public final class StoppingRule {

    private StoppingRule() {}

    public static boolean shouldStop(int leader, int runnerUp, int remaining, double threshold) {
        if (leader == 0) {
            return remaining <= 0;
        }
        if (leader > runnerUp + remaining) {
            return true;
        }
        return probabilityLeaderBetter(leader, runnerUp) >= threshold;
    }

    /**
     * P(p > 1/2) for p ~ Beta(a+1, b+1); for integer parameters this is P(Binomial(a+b+1, 1/2) <= a).
     */
    public static double probabilityLeaderBetter(int a, int b) {
        int n = a + b + 1;
        double sum = 0;
        double logHalfN = n * Math.log(0.5);
        for (int i = 0; i <= a; i++) {
            sum += Math.exp(logChoose(n, i) + logHalfN);
        }
        return Math.min(1.0, sum);
    }

    private static double logChoose(int n, int k) {
        double r = 0;
        for (int i = 1; i <= k; i++) {
            r += Math.log(n - k + i) - Math.log(i);
        }
        return r;
    }
}
