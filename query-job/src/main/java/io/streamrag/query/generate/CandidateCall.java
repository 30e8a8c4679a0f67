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
    /**
     * The vote no longer needs it, but its attempts in flight run on to show whether they are stragglers: no spare,
     * hedge, retry, re-admission or further call for it.
     */
    private boolean unneeded;
    /** When the candidate was started (its calls' durations are counted from here). */
    long startedAtMs;
    /** Attempts (primary, hedge) started and not yet finished. */
    int running;
    int hedges;
    /** The first failure, reported if no attempt succeeds. */
    CandidateResult firstFailure;
    /** See {@link #turnedAwayBy()}; under this lock. */
    String turnedAwayBy;
    /** An attempt succeeded: its result is the candidate's, whatever the calls it aborts report afterwards. */
    boolean succeeded;
    /** Its outcome has been reported (see {@link #claimReport}). */
    private boolean reported;
    /** Tokens of its attempts that ended before its result was claimed (see {@link #carryTokens}), added to that result. */
    private long carriedTokensIn;
    private long carriedTokensOut;
    /** A result was claimed (see {@link #claimResult}); it completes {@link #result} next. */
    private boolean resultClaimed;

    CandidateCall(CandidateRequest request) {
        this.request = request;
    }

    /**
     * Registers a call about to start and counts it running (and, for a {@code spare}, as a hedge); false, and the call
     * is not started, if the candidate was cancelled, is no longer needed or has its result, or, for a spare, has no call running any more
     * (it ended, or is about to): checked here, under the lock the ending takes, not before, where a call could end
     * between the check and the start.
     */
    synchronized boolean add(CallHandle handle, boolean spare) {
        if (cancelled || unneeded || succeeded || resultClaimed || result.isDone() || spare && running == 0) {
            return false;
        }
        handles.add(handle);
        running++;
        if (spare) {
            hedges++;
        }
        return true;
    }

    /** What is left to do when a call could not start ({@link #notStarted}). */
    enum NoRoom {
        /** Nothing: a primary tries the next endpoint or waits for a slot; a spare's twin still runs. */
        CARRY_ON,
        /** End the candidate with {@link #firstFailure()}: its twin failed meanwhile. */
        END_FAILED,
        /** End it CANCELLED: its twin was turned away after the vote was decided. */
        END_CANCELLED,
        /** Admit it again: its twin was turned away (never a failure), with time left. */
        READMIT
    }

    /**
     * Takes back {@link #add}: the call could not start (its endpoint had no room). A spare that leaves no call counted
     * running decides, under this lock, how the candidate goes on: its twin ended meanwhile, saw the spare counted and
     * left that to it. Only the one of them that takes the count to 0 decides, so the candidate is neither left until
     * its deadline + 1 s nor admitted twice.
     */
    synchronized NoRoom notStarted(boolean spare) {
        running--;
        if (spare) {
            hedges--;
        }
        if (!spare || running > 0 || succeeded || result.isDone()) {
            return NoRoom.CARRY_ON;
        }
        if (firstFailure != null) {
            return NoRoom.END_FAILED;
        }
        return cancelled || unneeded ? NoRoom.END_CANCELLED : NoRoom.READMIT;
    }

    synchronized CandidateResult firstFailure() {
        return firstFailure;
    }

    /** The endpoint that turned the candidate's last call away, to try elsewhere first; null if none did. */
    synchronized String turnedAwayBy() {
        return turnedAwayBy;
    }

    /**
     * Keeps the tokens of an ended attempt, whichever it was (the winner, a failed or aborted twin, a call chain its
     * endpoint turned away part-way, e.g. an ITERDRAG chain that starts over elsewhere): they were spent, and are added
     * to whatever result the candidate ends with. False, and nothing kept, once that result was claimed: an attempt
     * ending after it (a losing spare or hedge) has its tokens counted on their own.
     */
    synchronized boolean carryTokens(CandidateResult ended) {
        if (resultClaimed || result.isDone()) {
            return false;
        }
        carriedTokensIn += ended.tokensIn;
        carriedTokensOut += ended.tokensOut;
        return true;
    }

    /**
     * Claims {@code r} as the candidate's one result, to complete {@link #result} with, and gives it the hedges and
     * carried tokens; false if a result was claimed already (the tokens go to one result only).
     */
    synchronized boolean claimResult(CandidateResult r) {
        if (resultClaimed || result.isDone()) {
            return false;
        }
        resultClaimed = true;
        r.hedges = hedges;
        r.tokensIn += carriedTokensIn;
        r.tokensOut += carriedTokensOut;
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
        handles.forEach(CallHandle::markUnneeded); // their endpoints' retry loops stop after the attempt in flight
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

    /**
     * Claims the one report of this candidate's outcome (its result, or the operator's timeout, whichever comes first);
     * false if it was claimed already.
     */
    public synchronized boolean claimReport() {
        if (reported) {
            return false;
        }
        reported = true;
        return true;
    }

    /**
     * Aborts the candidate because it is still running past its question's deadline: its calls still in a model
     * request are counted against their endpoints, as timeouts are. Returns how many running calls were aborted.
     */
    synchronized int cancelOverran() {
        cancelled = true;
        int n = 0;
        for (CallHandle h : handles) {
            if (h.cancelOverran()) {
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
