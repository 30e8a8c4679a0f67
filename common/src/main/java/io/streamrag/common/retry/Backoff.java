package io.streamrag.common.retry;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * The project's one retry helper: exponential backoff with "equal jitter" (a delay in [cap/2, cap], cap doubling
 * from {@code initial} up to {@code max}), bounded by a number of retries, a time budget, or both.
 */
public final class Backoff implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Told before each retry, e.g. to log or count it. */
    @FunctionalInterface
    public interface Listener {
        /** {@code cause} is null for a retry of {@link #callRemaining}'s left-over items. */
        void retrying(int retry, long delayMs, Exception cause);
    }

    /** One round of work on a batch: returns the items to try again (empty when all are done). */
    @FunctionalInterface
    public interface Round<T> {
        List<T> run(List<T> items) throws Exception;
    }

    private final long initialMs;
    private final long maxMs;
    private final int maxRetries;
    private final long budgetMs;

    private Backoff(long initialMs, long maxMs, int maxRetries, long budgetMs) {
        this.initialMs = Math.max(1, initialMs);
        this.maxMs = Math.max(this.initialMs, maxMs);
        this.maxRetries = maxRetries;
        this.budgetMs = budgetMs;
    }

    /** Unbounded until {@link #withMaxRetries} or {@link #withBudget} bounds it. */
    public static Backoff of(Duration initial, Duration max) {
        return new Backoff(initial.toMillis(), max.toMillis(), Integer.MAX_VALUE, Long.MAX_VALUE);
    }

    public Backoff withMaxRetries(int maxRetries) {
        return new Backoff(initialMs, maxMs, maxRetries, budgetMs);
    }

    /** Gives up once another wait would end later than {@code budget} after the first attempt started. */
    public Backoff withBudget(Duration budget) {
        return new Backoff(initialMs, maxMs, maxRetries, budget.toMillis());
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration budget() {
        return Duration.ofMillis(budgetMs);
    }

    /** Delay before retry number {@code retry} (0-based), ignoring the bounds. */
    public long delayMs(int retry) {
        long cap = Math.min(maxMs, initialMs << Math.min(retry, 30));
        return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    }

    /**
     * Delay before retry number {@code retry} of work that started at {@code startNanos} ({@link System#nanoTime}),
     * or -1 when the retries or the budget are used up.
     */
    public long nextDelayMs(int retry, long startNanos) {
        if (retry >= maxRetries) {
            return -1;
        }
        long delay = delayMs(retry);
        long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
        return budgetMs != Long.MAX_VALUE && elapsedMs + delay > budgetMs ? -1 : delay;
    }

    /**
     * Runs {@code action} until it returns, throws something {@code retriable} rejects, or the bounds are used up;
     * then the last exception is thrown. Waits by sleeping on the calling thread (interruptible).
     */
    public <T> T call(Callable<T> action, Predicate<Exception> retriable, Listener listener) throws Exception {
        long start = System.nanoTime();
        for (int retry = 0; ; retry++) {
            try {
                return action.call();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                long delay = retriable.test(e) ? nextDelayMs(retry, start) : -1;
                if (delay < 0) {
                    throw e;
                }
                listener.retrying(retry, delay, e);
                Thread.sleep(delay);
            }
        }
    }

    /**
     * Runs {@code round} on {@code items}, then again on the items it hands back, waiting between rounds, until it
     * hands back none or the bounds are used up; returns the items left then (empty when all went through). For
     * batches whose items fail one by one (a bulk request's rejected items), beside {@link #call} for requests that
     * fail as a whole. An exception of {@code round} ends it at once.
     */
    public <T> List<T> callRemaining(List<T> items, Round<T> round, Listener listener) throws Exception {
        long start = System.nanoTime();
        List<T> left = round.run(items);
        for (int retry = 0; !left.isEmpty(); retry++) {
            long delay = nextDelayMs(retry, start);
            if (delay < 0) {
                return left;
            }
            listener.retrying(retry, delay, null);
            Thread.sleep(delay);
            left = round.run(left);
        }
        return left;
    }
}
