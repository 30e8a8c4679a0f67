package io.streamrag.query.generate;

import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The candidates of one multi-choice request being generated (see {@link CandidateGenerator#startAll}): their results
 * (always completes, one per candidate) and the calls to abort once the vote no longer needs them, the shared request
 * or, if it was turned away, its candidates run one at a time.
 */
public final class ChoicesCall {
    public final CandidateRequest request;
    public final CompletableFuture<List<CandidateResult>> results = new CompletableFuture<>();
    /** The shared request's call; null if it never had one (the candidates went one at a time from the start). */
    private final CallHandle shared;
    private final int size;
    private final List<CandidateCall> members = new ArrayList<>();
    private boolean cancelled;
    /** Its candidates' outcome has been reported (see {@link #claimReport}). */
    private boolean reported;

    ChoicesCall(CandidateRequest request, CallHandle shared, int size) {
        this.request = request;
        this.shared = shared;
        this.size = size;
    }

    /** Registers a candidate run on its own; false, and it is not to start, once the request was cancelled. */
    synchronized boolean add(CandidateCall member) {
        if (cancelled) {
            return false;
        }
        members.add(member);
        return true;
    }

    synchronized boolean isCancelled() {
        return cancelled;
    }

    /**
     * Claims the one report of its candidates' outcome (their results, or the operator's timeout, whichever comes
     * first), as {@link CandidateCall#claimReport} does for one candidate; false if it was claimed already.
     */
    public synchronized boolean claimReport() {
        if (reported) {
            return false;
        }
        reported = true;
        return true;
    }

    /**
     * Aborts the request (the vote is decided): the shared request makes no retry and its HTTP request is closed, its
     * candidates run one at a time are cancelled, and none starts any more. Returns how many candidates were aborted.
     */
    public int cancel() {
        List<CandidateCall> running;
        synchronized (this) {
            cancelled = true;
            running = new ArrayList<>(members);
        }
        if (results.isDone()) {
            return 0;
        }
        int n = 0;
        if (shared != null) {
            shared.markUnneeded(); // no further attempt even if the abort finds it between two
            if (shared.cancel()) {
                n += size;
            }
        }
        for (CandidateCall c : running) {
            if (!c.result.isDone()) {
                c.cancel();
                n++;
            }
        }
        return n;
    }
}
