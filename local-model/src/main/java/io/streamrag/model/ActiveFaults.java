package io.streamrag.model;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link Faults} a server applies, with what they have drawn so far (the {@code ratelimitFirst} count, the seeded
 * sequence): replaced as one when faults are posted, so a request counts and draws on the faults it read.
 */
final class ActiveFaults {

    /** What a chat request gets. */
    enum Fault { RATE_LIMITED, TOO_LONG, ERROR, RUNAWAY, STALL, HANG, NONE }

    /** A chat request's fault, and how long it sleeps before it (latency and jitter; none before a 429 or a 400). */
    record Draw(Fault fault, long sleepMs) {}

    final Faults faults;
    private final AtomicInteger rateLimited = new AtomicInteger();
    /** The one sequence of a seeded spec; null: each thread's unseeded one. */
    private final Random seeded;

    ActiveFaults(Faults faults) {
        this.faults = faults;
        this.seeded = faults.seed == null ? null : new Random(faults.seed);
    }

    /**
     * A chat request's fault: the first {@code ratelimitFirst} requests are rate limited, then each fault in turn is
     * drawn at its rate. All of a request's draws are taken at once: a seeded sequence shared draw by draw by
     * concurrent requests gave each of them faults that depended on how their draws interleaved.
     */
    Draw chat() {
        if (faults.rateLimitFirst > 0 && rateLimited.getAndIncrement() < faults.rateLimitFirst) {
            return new Draw(Fault.RATE_LIMITED, 0);
        }
        if (seeded == null) {
            return chat(ThreadLocalRandom.current());
        }
        synchronized (seeded) {
            return chat(seeded);
        }
    }

    private Draw chat(Random random) {
        Faults f = faults;
        // 429 first: a rate limiter answers before doing any work.
        if (f.rateLimitRate > 0 && random.nextDouble() < f.rateLimitRate) {
            return new Draw(Fault.RATE_LIMITED, 0);
        }
        if (f.tooLongRate > 0 && random.nextDouble() < f.tooLongRate) {
            return new Draw(Fault.TOO_LONG, 0);
        }
        long sleepMs = f.latencyMs + (f.jitterMs > 0 ? random.nextLong(f.jitterMs + 1) : 0);
        Fault fault = f.errorRate > 0 && random.nextDouble() < f.errorRate ? Fault.ERROR
                : f.runawayRate > 0 && random.nextDouble() < f.runawayRate ? Fault.RUNAWAY
                : f.stallRate > 0 && random.nextDouble() < f.stallRate ? Fault.STALL
                : f.timeoutRate > 0 && random.nextDouble() < f.timeoutRate ? Fault.HANG
                : Fault.NONE;
        return new Draw(fault, sleepMs);
    }

    /** An Ollama or watsonx.ai request's fault: RUNAWAY, STALL (the faults those APIs get) or NONE. */
    Fault otherApi() {
        if (seeded == null) {
            return otherApi(ThreadLocalRandom.current());
        }
        synchronized (seeded) {
            return otherApi(seeded);
        }
    }

    private Fault otherApi(Random random) {
        Faults f = faults;
        return f.runawayRate > 0 && random.nextDouble() < f.runawayRate ? Fault.RUNAWAY
                : f.stallRate > 0 && random.nextDouble() < f.stallRate ? Fault.STALL
                : Fault.NONE;
    }

    /** Starts the {@code ratelimitFirst} count again (the server's stats were reset). */
    void restartCount() {
        rateLimited.set(0);
    }
}
