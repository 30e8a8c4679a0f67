package io.streamrag.query.generate;

import java.util.Arrays;

/**
 * Recent call durations of one endpoint, finished or aborted, and the share of calls slower than a threshold
 * (Kaplan-Meier): an aborted call only says it ran at least that long, and the slow calls are the ones a decided vote
 * aborts, so counting finished calls alone would hide most stragglers.
 */
final class CallDurations {
    private final long[] millis;
    private final boolean[] finished;
    private int count;
    private int next;

    CallDurations(int window) {
        this.millis = new long[window];
        this.finished = new boolean[window];
    }

    /** A call that answered after {@code ms}. */
    synchronized void finished(long ms) {
        add(ms, true);
    }

    /** A call aborted (or failed) after {@code ms}: its full duration is unknown, only that it was at least this. */
    synchronized void aborted(long ms) {
        add(ms, false);
    }

    private void add(long ms, boolean done) {
        millis[next] = ms;
        finished[next] = done;
        next = (next + 1) % millis.length;
        count = Math.min(millis.length, count + 1);
    }

    /**
     * The estimated share of calls running longer than {@code thresholdMs} (product-limit estimate over the recent
     * calls), or -1 with fewer than {@code minCalls} recorded.
     */
    double slowerThan(long thresholdMs, int minCalls) {
        long[] keys;
        synchronized (this) {
            if (count < minCalls) {
                return -1;
            }
            // Sort by duration, a finished call before an aborted one of the same duration (it was still at risk).
            keys = new long[count];
            for (int i = 0; i < count; i++) {
                keys[i] = millis[i] * 2 + (finished[i] ? 0 : 1);
            }
        }
        Arrays.sort(keys);
        return survival(keys, thresholdMs);
    }

    /**
     * Like {@link #slowerThan} but the lower end of its one-sided 95 % Wilson interval over the recorded calls: a
     * share seen on few calls (e.g. the first ones of a cold endpoint) is not yet evidence of stragglers.
     */
    double slowerThanAtLeast(long thresholdMs, int minCalls) {
        double p = slowerThan(thresholdMs, minCalls);
        if (p <= 0) {
            return p;
        }
        int n;
        synchronized (this) {
            n = count;
        }
        double z = 1.645;
        double z2n = z * z / n;
        double centre = p + z2n / 2;
        double spread = z * Math.sqrt(p * (1 - p) / n + z2n / (4 * n));
        return Math.max(0, (centre - spread) / (1 + z2n));
    }

    private static double survival(long[] keys, long thresholdMs) {
        double survival = 1;
        int atRisk = keys.length;
        for (long key : keys) {
            if (key / 2 > thresholdMs) {
                break;
            }
            if (key % 2 == 0) {
                survival *= 1 - 1.0 / atRisk;
            }
            atRisk--;
        }
        return survival;
    }
}
