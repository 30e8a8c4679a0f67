package io.streamrag.query.generate;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One candidate being generated: its result (always completes, OK/ERROR/TIMEOUT/CANCELLED) and the handles of its
 * calls (the primary, an up-front spare, a hedge), so it can be aborted once the vote no longer needs it.
 */
public final class CandidateCall {
    public final CandidateRequest request;
    public final CompletableFuture<CandidateResult> result = new CompletableFuture<>();
    private final List<CallHandle> handles = new ArrayList<>();
    private boolean cancelled;
    /** The vote no longer needs it, but it runs on to show whether it is a straggler: no spare or hedge for it. */
    private boolean unneeded;
    /** When the candidate was started (its calls' durations are counted from here). */
    long startedAtMs;
    /** Attempts (primary, hedge) started and not yet finished. */
    int running;
    int hedges;
    /** The first failure, reported if no attempt succeeds. */
    CandidateResult firstFailure;
    /** An attempt succeeded: its result is the candidate's, whatever the calls it aborts report afterwards. */
    boolean succeeded;

    CandidateCall(CandidateRequest request) {
        this.request = request;
    }

    /** Registers a call; false if the candidate was cancelled meanwhile (then the call is not started). */
    synchronized boolean add(CallHandle handle) {
        if (cancelled) {
            return false;
        }
        handles.add(handle);
        return true;
    }

    synchronized boolean isCancelled() {
        return cancelled;
    }

    synchronized boolean unneeded() {
        return cancelled || unneeded;
    }

    synchronized void markUnneeded() {
        unneeded = true;
    }

    /**
     * Aborts every call still running except {@code keep}; when {@code keep} is a late hedge, the ones started before
     * it lost the race (they are reported to their endpoint's breaker as slow; an up-front spare's twin is not).
     * Returns how many were aborted.
     */
    synchronized int cancelOthers(CallHandle keep) {
        int n = 0;
        boolean beforeKeep = keep != null && keep.late && handles.contains(keep);
        for (CallHandle h : handles) {
            if (h == keep) {
                beforeKeep = false;
            } else if (beforeKeep ? h.cancelLostRace() : h.cancel()) {
                n++;
            }
        }
        return n;
    }

    /** Aborts the candidate (the vote is decided); returns how many running calls were aborted. */
    public int cancel() {
        synchronized (this) {
            cancelled = true;
        }
        return cancelOthers(null);
    }
}
