package io.streamrag.query.generate;

import java.util.concurrent.atomic.AtomicInteger;

/** The spare (hedge) calls one question may still make: at most ceil(n x query.hedge.max-extra). */
public final class HedgeBudget {
    private final AtomicInteger left;

    public HedgeBudget(int max) {
        this.left = new AtomicInteger(Math.max(0, max));
    }

    public static HedgeBudget forQuestion(int n, double maxExtra) {
        return new HedgeBudget(maxExtra <= 0 ? 0 : (int) Math.ceil(n * maxExtra));
    }

    boolean tryTake() {
        return left.getAndUpdate(v -> v > 0 ? v - 1 : v) > 0;
    }
}
