package io.streamrag.query.records;

import io.streamrag.common.records.ChunkRef;

import java.util.ArrayList;
import java.util.List;

/** What one candidate produced; failed and timed-out candidates are records too, never lost. */
public class CandidateResult {
    public static final String OK = "OK";
    public static final String ERROR = "ERROR";
    public static final String TIMEOUT = "TIMEOUT";
    /** Aborted because the vote was decided before it answered. */
    public static final String CANCELLED = "CANCELLED";

    public String questionId;
    public int index;
    public String endpoint;
    public String model;
    public double weight = 1.0;
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
    /** Order of arrival at the vote (set there), for the tie-break. */
    public int arrival;

    public CandidateResult() {}

    public boolean ok() {
        return OK.equals(status);
    }
}
