package io.streamrag.common.retry;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * The project's one retry helper: exponential backoff with "equal jitter" (a delay in [cap/2, cap], cap doubling
 * from {@code initial} up to {@code max}), bounded by a number of retries, a time budget, or both. A budget can keep
 * time for the last call ({@link #withLastCall}) and be shared by several calls ({@link #start()}: one budget per
 * flush, however many requests it makes).
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
    private final long lastCallMs;

    private Backoff(long initialMs, long maxMs, int maxRetries, long budgetMs, long lastCallMs) {
        this.initialMs = Math.max(1, initialMs);
        this.maxMs = Math.max(this.initialMs, maxMs);
        this.maxRetries = maxRetries;
        this.budgetMs = budgetMs;
        this.lastCallMs = Math.max(0, lastCallMs);
    }

    /** Unbounded until {@link #withMaxRetries} or {@link #withBudget} bounds it. */
    public static Backoff of(Duration initial, Duration max) {
        return new Backoff(initial.toMillis(), max.toMillis(), Integer.MAX_VALUE, Long.MAX_VALUE, 0);
    }

    public Backoff withMaxRetries(int maxRetries) {
        return new Backoff(initialMs, maxMs, maxRetries, budgetMs, lastCallMs);
    }

    /** Gives up once another wait would end later than {@code budget} after the first attempt started. */
    public Backoff withBudget(Duration budget) {
        return new Backoff(initialMs, maxMs, maxRetries, budget.toMillis(), lastCallMs);
    }

    /**
     * Keeps time within the budget for the call after the last wait, which can take up to {@code longestCall} (e.g.
     * its client's timeout): a retry is made only when its wait plus {@code longestCall} ends within the budget, so work
     * that keeps failing, its last call included, ends within the budget. At most half the budget is kept so, so a
     * budget shorter than two calls still retries.
     */
    public Backoff withLastCall(Duration longestCall) {
        return new Backoff(initialMs, maxMs, maxRetries, budgetMs, longestCall.toMillis());
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration budget() {
        return Duration.ofMillis(budgetMs);
    }

    /** The time {@link #withLastCall} keeps for the last call: {@code longestCall}, at most half the budget. */
    public Duration lastCallReserve() {
        return Duration.ofMillis(budgetMs == Long.MAX_VALUE ? lastCallMs : Math.min(lastCallMs, budgetMs / 2));
    }

    /** Delay before retry number {@code retry} (0-based), ignoring the bounds. */
    public long delayMs(int retry) {
        long cap = Math.min(maxMs, initialMs << Math.min(retry, 30));
        return cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    }

    /**
     * Delay before retry number {@code retry} of work that started at {@code startNanos} ({@link System#nanoTime}),
     * or -1 when the retries or the budget are used up (the budget less the time kept for the last call).
     */
    public long nextDelayMs(int retry, long startNanos) {
        if (retry >= maxRetries) {
            return -1;
        }
        long delay = delayMs(retry);
        if (budgetMs == Long.MAX_VALUE) {
            return delay;
        }
        long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
        return elapsedMs + delay + lastCallReserve().toMillis() > budgetMs ? -1 : delay;
    }

    /**
     * Runs {@code action} until it returns, throws something {@code retriable} rejects, or the bounds are used up;
     * then the last exception is thrown. Waits by sleeping on the calling thread (interruptible). The budget counts
     * from this call: for several calls that share one budget, see {@link #start()}.
     */
    public <T> T call(Callable<T> action, Predicate<Exception> retriable, Listener listener) throws Exception {
        return start().call(action, retriable, listener);
    }

    /**
     * Runs {@code round} on {@code items}, then again on the items it hands back, waiting between rounds, until it
     * hands back none or the bounds are used up; returns the items left then (empty when all went through). For
     * batches whose items fail one by one (a bulk request's rejected items), beside {@link #call} for requests that
     * fail as a whole. An exception of {@code round} ends it at once. The budget counts from this call.
     */
    public <T> List<T> callRemaining(List<T> items, Round<T> round, Listener listener) throws Exception {
        return start().callRemaining(items, round, listener);
    }

    /**
     * Starts a budget now that several calls share: each of the returned deadline's calls retries only within what
     * is left of it, e.g. every request of one flush, so the flush (and a checkpoint barrier behind it) ends within one
     * budget however many requests it makes. A call after the budget is spent still runs once, without retries.
     */
    public Deadline start() {
        return new Deadline(System.nanoTime());
    }

    /** One budget, started by {@link #start()}, that every call made through it shares. */
    public final class Deadline {
        private final long startNanos;

        private Deadline(long startNanos) {
            this.startNanos = startNanos;
        }

        /** Milliseconds since {@link #start()}. */
        public long elapsedMs() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }

        /** The whole budget (not what is left of it), e.g. for messages. */
        public Duration budget() {
            return Backoff.this.budget();
        }

        /** {@link Backoff#call}, retrying within what is left of this budget. */
        public <T> T call(Callable<T> action, Predicate<Exception> retriable, Listener listener) throws Exception {
            for (int retry = 0; ; retry++) {
                try {
                    return action.call();
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    long delay = retriable.test(e) ? nextDelayMs(retry, startNanos) : -1;
                    if (delay < 0) {
                        throw e;
                    }
                    listener.retrying(retry, delay, e);
                    Thread.sleep(delay);
                }
            }
        }

        /** {@link Backoff#callRemaining}, retrying within what is left of this budget. */
        public <T> List<T> callRemaining(List<T> items, Round<T> round, Listener listener) throws Exception {
            List<T> left = round.run(items);
            for (int retry = 0; !left.isEmpty(); retry++) {
                long delay = nextDelayMs(retry, startNanos);
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
}
