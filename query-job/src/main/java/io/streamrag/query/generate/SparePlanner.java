package io.streamrag.query.generate;

/**
 * Up-front spare calls for the tail ("The Tail at Scale"): the vote decides once a quorum of a question's n candidates
 * agree, so a question waits for a straggler when fewer than a quorum of its calls are fast, and a hedge started once
 * that shows costs a second call time. From the endpoints' straggler share p this plans, per question, the fewest
 * spares (a second call for a candidate from its start; that candidate is then slow only if both are) that bring the
 * chance of missing the quorum under {@code query.hedge.spare.target-miss}. Spares are paid from a credit of
 * {@code query.hedge.spare.max-extra-calls} per primary call, which every spare and every hedge is debited from: a
 * spare is only started while credit is left, so spares never bring the extra calls above that share, and when the
 * endpoints are healthy (tiny p) no spare is planned at all.
 */
public final class SparePlanner {
    private final double maxExtraCalls;
    private final double targetMiss;
    /** Extra calls the budget still allows; starts empty, at most one question's calls. */
    private double credit;

    public SparePlanner(double maxExtraCalls, double targetMiss) {
        this.maxExtraCalls = Math.max(0, maxExtraCalls);
        this.targetMiss = targetMiss;
    }

    /**
     * Credits a question of {@code n} primary calls and returns how many of them get a spare: the fewest for which
     * fewer than {@code quorum} fast candidates has a chance of at most the target, as far as the credit reaches.
     */
    public synchronized int plan(int n, int quorum, double stragglerShare) {
        credit = Math.min(n, credit + maxExtraCalls * n); // capped, so a healthy stretch cannot save up a burst
        if (stragglerShare <= 0 || maxExtraCalls <= 0) {
            return 0;
        }
        int spares = 0;
        while (spares < n && spares + 1 <= credit && missProbability(n, quorum, spares, stragglerShare) > targetMiss) {
            spares++;
        }
        credit -= spares;
        return spares;
    }

    /** Whether spares may be planned at all (hedging on and a budget above 0). */
    public boolean active() {
        return maxExtraCalls > 0;
    }

    /** A planned spare that could not start (no free slot): its credit comes back. */
    public synchronized void unused() {
        credit += 1;
    }

    /** A hedge (a spare started late) was started: it spends the same budget. */
    public synchronized void hedged() {
        credit -= 1;
    }

    synchronized double credit() {
        return credit;
    }

    /**
     * The chance that fewer than {@code quorum} of {@code n} candidates are fast when each call is slow with
     * probability p independently and {@code spares} candidates have two calls (slow only if both are).
     */
    public static double missProbability(int n, int quorum, int spares, double p) {
        double[] fast = new double[n + 1]; // fast[k]: probability that k of the candidates so far are fast
        fast[0] = 1;
        for (int i = 0; i < n; i++) {
            double slow = i < spares ? p * p : p;
            for (int k = i + 1; k >= 0; k--) {
                fast[k] = fast[k] * slow + (k > 0 ? fast[k - 1] * (1 - slow) : 0);
            }
        }
        double miss = 0;
        for (int k = 0; k < Math.min(quorum, n + 1); k++) {
            miss += fast[k];
        }
        return miss;
    }

    /**
     * The candidates of a question of {@code n} that must agree before the vote is settled with the rest outstanding
     * (the vote's rule: leader weight above the outstanding candidates' weight at most), at most n.
     */
    public static int quorum(int n, double minWeight, double maxWeight) {
        for (int k = 1; k < n; k++) {
            if (k * minWeight > (n - k) * maxWeight) {
                return k;
            }
        }
        return n;
    }
}
