package io.streamrag.query.records;

import io.streamrag.common.records.ChunkRef;

import java.util.ArrayList;
import java.util.List;

/** What one candidate produced; failed and timed-out candidates are records too, never lost. */
public class CandidateResult {

    /** How a candidate ended; {@link #status} holds its name. */
    public enum Status {
        OK,
        ERROR,
        TIMEOUT,
        /** Aborted because the vote was decided before it answered. */
        CANCELLED
    }

    public String questionId;
    public int index;
    public String endpoint;
    public String model;
    public double weight = 1.0;
    /**
     * The {@link Status} by name (the answer's {@code candidates[].status}): a String because the vote keeps candidates in
     * Flink state ({@code VoteState}), where a field's declared type cannot change without losing earlier savepoints.
     */
    public String status;
    /** The final answer line as the model wrote it. */
    public String answer;
    /** The chunks the candidate said it used. */
    public List<ChunkRef> cited = new ArrayList<>();
    public long latencyMs;
    public long tokensIn;
    public long tokensOut;
    /** Model calls made, retries included. */
    public int attempts;
    public String error;
    /** Spare (hedge) calls started for this candidate. */
    public int hedges;
    /** Calls of this candidate aborted because another one (hedge or primary) answered first. */
    public int cancelledCalls;
    /** Order of arrival at the vote (set there); breaks no ties (the candidate index does, so reruns agree). */
    public int arrival;

    public CandidateResult() {}

    public boolean is(Status s) {
        return s.name().equals(status);
    }

    public boolean ok() {
        return is(Status.OK);
    }
}
