package io.streamrag.query.generate;

/**
 * One model call that may be aborted while it waits or runs: cancelling interrupts the thread running it, which
 * makes the JDK HTTP client abort the request (the connection is closed, the server sees the client go away).
 */
public final class CallHandle {
    /** The endpoint the call runs on, whose {@code cancelled} count an abort raises. */
    final EndpointHealth health;
    private Thread runner;
    private boolean cancelled;
    private boolean finished;
    /** Aborted because a call started later (a hedge) answered first: a sign this endpoint is slow. */
    private boolean lostRace;
    /** Aborted because it was still running past its question's deadline: a sign this endpoint hangs. */
    private boolean overran;
    /** The vote no longer needs its candidate: the attempt in flight may finish, no further one starts. */
    private boolean unneeded;

    /** A hedge started after the others ran past the hedge delay (its win shows they were slow). */
    final boolean late;

    CallHandle(EndpointHealth health, boolean late) {
        this.health = health;
        this.late = late;
    }

    /** Called by the running thread; false if the call was cancelled before it started. */
    synchronized boolean begin() {
        if (cancelled) {
            return false;
        }
        runner = Thread.currentThread();
        return true;
    }

    /** Called by the running thread when done; clears an interrupt meant for this call. */
    synchronized void end() {
        runner = null;
        finished = true;
        Thread.interrupted();
    }

    /** Marks a call that was never accepted (its endpoint was full) as finished, without counting an abort. */
    synchronized void discard() {
        finished = true;
    }

    /** Aborts the call because a later call for the same candidate answered first. */
    synchronized boolean cancelLostRace() {
        lostRace = true;
        return cancel();
    }

    /** Aborts the call because it is still running past its question's deadline. */
    synchronized boolean cancelOverran() {
        overran = true;
        return cancel();
    }

    /**
     * Whether its abort counts against the endpoint's breaker, as a timeout does: it lost a hedge race, or ran past its
     * question's deadline. Other aborts (the answer is no longer needed) say nothing about the endpoint.
     */
    synchronized boolean countsAgainstEndpoint() {
        return lostRace || overran;
    }

    /** Lets the attempt in flight finish but starts no retry or further call (see {@link CandidateCall#markUnneeded}). */
    synchronized void markUnneeded() {
        unneeded = true;
    }

    synchronized boolean unneeded() {
        return unneeded;
    }

    /** Aborts the call if it has not finished; returns whether it did. */
    public synchronized boolean cancel() {
        if (finished || cancelled) {
            return false;
        }
        cancelled = true;
        if (runner != null) {
            runner.interrupt();
        }
        if (health != null) {
            health.cancelled.incrementAndGet();
        }
        return true;
    }

    public synchronized boolean cancelled() {
        return cancelled;
    }
}
