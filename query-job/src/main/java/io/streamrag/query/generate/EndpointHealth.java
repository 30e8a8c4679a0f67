package io.streamrag.query.generate;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The health guards of one endpoint, shared by every generate subtask of a TaskManager (see {@link EndpointPools}):
 * a resilience4j circuit breaker; a resilience4j bulkhead of {@code maxConcurrency} permits held only while an HTTP
 * request is open (a candidate sleeping in a retry backoff or a Retry-After holds none); an admission bound of
 * maxConcurrency + queue-capacity candidates (beyond it the endpoint rejects instead of queueing further); an
 * optional requests-per-second limiter; and the recent call latencies the hedge delay is taken from.
 */
public final class EndpointHealth implements AutoCloseable {

    /** How long one wait for a request permit lasts before the deadline and cancellation are checked again. */
    private static final long SLOT_WAIT_STEP_MS = 50;

    /** Latencies kept for the hedge percentile, and how many are needed before it is trusted. */
    private static final int LATENCY_WINDOW = 256;
    static final int MIN_LATENCY_SAMPLES = 20;
    /** Calls before the straggler share is estimated: 20 questions of 5, enough to dilute a cold start's slow calls. */
    static final int MIN_STRAGGLER_SAMPLES = 100;
    /** {@link #openedAtNanos} between a transition and its stamp (see there). */
    private static final long UNSTAMPED = Long.MIN_VALUE;

    public final EndpointSpec spec;
    public final CircuitBreaker breaker;
    private final Bulkhead bulkhead;
    private final int admissionLimit;
    private final AtomicInteger admitted = new AtomicInteger();
    private final ExecutorService threads;
    private final RateLimiter limiter;
    private final long[] latencies = new long[LATENCY_WINDOW];
    private int latencyCount;
    private int latencyNext;
    /** Every call's duration, finished or aborted, for the straggler share the spares are planned from. */
    private final CallDurations durations = new CallDurations(2 * LATENCY_WINDOW);
    /** When the last call answered ({@link System#nanoTime}). */
    private volatile long lastAnsweredNanos = System.nanoTime();
    public final AtomicLong rejected = new AtomicLong();
    public final AtomicLong hedged = new AtomicLong();
    /** Spare calls started up front (see {@link SparePlanner}); also counted in {@link #hedged}. */
    public final AtomicLong spared = new AtomicLong();
    public final AtomicLong cancelled = new AtomicLong();
    private final long openForNanos;
    /**
     * When the breaker last opened ({@link System#nanoTime}), or {@link #UNSTAMPED} from its last transition out of OPEN
     * until the stamp: resilience4j changes the state first and tells its listeners after.
     */
    private final AtomicLong openedAtNanos = new AtomicLong(UNSTAMPED);

    EndpointHealth(EndpointSpec spec, HealthSettings settings) {
        this.spec = spec;
        this.breaker = CircuitBreaker.of("endpoint-" + spec.name, CircuitBreakerConfig.custom()
                .failureRateThreshold((float) settings.failureRate())
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.window())
                .minimumNumberOfCalls(settings.minimumCalls())
                .waitDurationInOpenState(settings.openFor())
                .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
                // Not resilience4j's automatic transition: it runs on a static scheduler thread nothing can stop, one
                // per job class loader (resilience4j is in the job jar), which kept every resubmitted query job's
                // classes in the TaskManager's metaspace. open() half-opens it once the wait is over instead.
                .writableStackTraceEnabled(false)
                .build());
        this.openForNanos = settings.openFor().toNanos();
        breaker.getEventPublisher().onStateTransition(e -> {
            // Unstamped on every other transition, so an OPEN seen before its own stamp is never timed from an older one.
            boolean opened = e.getStateTransition().getToState() == CircuitBreaker.State.OPEN;
            openedAtNanos.set(opened ? System.nanoTime() : UNSTAMPED);
        });
        this.bulkhead = Bulkhead.of("endpoint-" + spec.name, BulkheadConfig.custom()
                .maxConcurrentCalls(spec.maxConcurrency)
                .maxWaitDuration(Duration.ofMillis(SLOT_WAIT_STEP_MS))
                .writableStackTraceEnabled(false)
                .build());
        this.admissionLimit = spec.maxConcurrency + settings.queueCapacity();
        // At most admissionLimit candidates run here at once (see submit), so the pool stays bounded.
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "endpoint-" + spec.name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.limiter = spec.rps <= 0 ? null : RateLimiter.of("endpoint-" + spec.name, rateLimit(spec.rps));
    }

    /**
     * {@code rps} requests a second, in bursts of at most a tenth of that (at least one): the period is fitted to the
     * burst, so the rate is {@code rps} exactly (a fixed 100 ms period with a rounded burst let rps=5 send 10 a second).
     */
    static RateLimiterConfig rateLimit(double rps) {
        int burst = Math.max(1, (int) Math.floor(rps / 10));
        return RateLimiterConfig.custom()
                .limitForPeriod(burst)
                .limitRefreshPeriod(Duration.ofNanos(Math.max(1, Math.round(burst * 1e9 / rps))))
                .timeoutDuration(Duration.ZERO)
                .build();
    }

    /**
     * Runs a candidate for this endpoint, or throws {@link BulkheadFullException} when maxConcurrency +
     * queue-capacity candidates are already admitted.
     */
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        if (admitted.incrementAndGet() > admissionLimit) {
            admitted.decrementAndGet();
            throw BulkheadFullException.createBulkheadFullException(bulkhead);
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return task.call();
                } catch (Exception e) {
                    throw new CompletionException(e);
                } finally {
                    admitted.decrementAndGet();
                }
            }, threads);
        } catch (RuntimeException e) {
            admitted.decrementAndGet();
            throw BulkheadFullException.createBulkheadFullException(bulkhead);
        }
    }

    /**
     * Waits for one of the endpoint's {@code maxConcurrency} request permits until {@code deadlineAtMs}; false if the
     * deadline passed first. Release with {@link #releaseSlot()}.
     */
    boolean acquireSlot(long deadlineAtMs) throws InterruptedException {
        while (!bulkhead.tryAcquirePermission()) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("aborted while waiting for a request slot");
            }
            if (System.currentTimeMillis() >= deadlineAtMs) {
                return false;
            }
        }
        return true;
    }

    void releaseSlot() {
        bulkhead.onComplete();
    }

    /** The health of the endpoint named {@code name} in this JVM, if one is in use (for benchmarks and tools). */
    public static EndpointHealth lookup(String name) {
        return EndpointPools.find(name);
    }

    /** How many endpoint healths this JVM holds (see {@link EndpointPools}): none once every generate subtask has closed. */
    public static int inUse() {
        return EndpointPools.size();
    }

    /**
     * Whether the breaker currently turns calls away (routing sends candidates elsewhere meanwhile); an OPEN breaker
     * whose wait ({@code query.breaker.open-duration}) is over is half-opened here, so probes go out again.
     */
    public boolean open() {
        CircuitBreaker.State s = breaker.getState();
        if (s == CircuitBreaker.State.OPEN && waitOver()) {
            halfOpen();
            s = breaker.getState();
        }
        return s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN;
    }

    /**
     * Whether the OPEN breaker's wait is over. One not stamped yet (it opened a moment ago and its listener has not run,
     * or a late listener of the transition before unstamped it) has just opened: it is stamped now, so it half-opens
     * after a full wait, never at once with probes to an endpoint just judged broken.
     */
    private boolean waitOver() {
        long at = openedAtNanos.get();
        if (at == UNSTAMPED) {
            openedAtNanos.compareAndSet(UNSTAMPED, System.nanoTime());
            return false;
        }
        return System.nanoTime() - at >= openForNanos;
    }

    private synchronized void halfOpen() {
        // Checked again under the lock: two callers must not half-open it twice (each time resets the probes).
        if (breaker.getState() == CircuitBreaker.State.OPEN && waitOver()) {
            breaker.transitionToHalfOpenState();
        }
    }

    /** 0 closed, 1 open, 2 half-open (for the metrics gauge; an open breaker whose wait is over half-opens, as in {@link #open}). */
    public int stateCode() {
        if (open()) {
            return 1;
        }
        return breaker.getState() == CircuitBreaker.State.HALF_OPEN ? 2 : 0;
    }

    /** Waits for a rate limit permit for at most {@code maxWaitMs}; true without a limiter. */
    public boolean acquireRate(long maxWaitMs) throws InterruptedException {
        if (limiter == null) {
            return true;
        }
        long until = System.currentTimeMillis() + Math.max(0, maxWaitMs);
        while (!limiter.acquirePermission()) {
            if (System.currentTimeMillis() >= until) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Admitted candidates not holding a request permit (waiting for one, or in a retry backoff). */
    public int queueDepth() {
        return Math.max(0, admitted.get() - (spec.maxConcurrency - bulkhead.getMetrics().getAvailableConcurrentCalls()));
    }

    public synchronized void recordLatency(long millis) {
        lastAnsweredNanos = System.nanoTime();
        latencies[latencyNext] = millis;
        latencyNext = (latencyNext + 1) % LATENCY_WINDOW;
        latencyCount = Math.min(LATENCY_WINDOW, latencyCount + 1);
    }

    /** A call that answered after {@code millis}. */
    void recordFinished(long millis) {
        durations.finished(millis);
    }

    /** A call aborted, failed or timed out after {@code millis}: it ran at least that long. */
    void recordAborted(long millis) {
        durations.aborted(millis);
    }

    /**
     * The share of this endpoint's calls slower than {@code thresholdMs} it has evidence of (the lower end of a 95 %
     * interval, so a cold start's first slow calls do not count for much), or -1 before enough calls.
     */
    public double stragglerShare(long thresholdMs) {
        return durations.slowerThanAtLeast(thresholdMs, MIN_STRAGGLER_SAMPLES);
    }

    /** Whether a call answered after {@code nanos} ({@link System#nanoTime}). */
    public boolean answeredSince(long nanos) {
        return lastAnsweredNanos - nanos > 0;
    }

    /** The {@code p}-th percentile of recent successful call latencies, or -1 before enough calls. */
    public synchronized long latencyPercentile(double p) {
        if (latencyCount < MIN_LATENCY_SAMPLES) {
            return -1;
        }
        long[] sorted = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
