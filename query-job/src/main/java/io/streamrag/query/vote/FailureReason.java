package io.streamrag.query.vote;

/**
 * Why a question did not get an ANSWERED answer: the start of the {@code error} text the job writes to
 * {@code answers} (docs/CONTRACT.md quotes these words; keep them byte for byte).
 */
public enum FailureReason {
    /** FAILED: the event could not be read as a question; followed by ": " and what is wrong. */
    INVALID_QUESTION("invalid question"),
    /** FAILED: the question waited past its deadline before the job read it. */
    EXPIRED_BEFORE_READ("deadline passed before the question was read"),
    /** FAILED: every retrieval attempt failed until the deadline; followed by ": " and the last error. */
    RETRIEVAL_UNAVAILABLE("retrieval unavailable"),
    /** FAILED: OpenSearch refused the question's search (a 4xx other than 429) or its text could not be embedded; no retry mends that. */
    RETRIEVAL_REFUSED("retrieval refused the question"),
    /** NO_CONTEXT: retrieval found nothing in the question's tenant; followed by " " and the tenant. */
    NOTHING_RETRIEVED("nothing retrieved for tenant"),
    /** FAILED: the vote reached the deadline before any candidate succeeded. */
    DEADLINE_WITHOUT_CANDIDATE("deadline passed with no successful candidate"),
    /** FAILED: every candidate came back failed. */
    NO_CANDIDATE_SUCCEEDED("no candidate succeeded"),
    /** FAILED: the answer came out larger than a record of the answers topic may be; followed by ": " and its size. */
    ANSWER_TOO_LARGE("answer too large to write");

    /** The words that open the {@code error} text. */
    public final String text;

    FailureReason(String text) {
        this.text = text;
    }

    /** The error text: the reason's words followed by {@code detail} as given (its own separator included). */
    public String with(String detail) {
        return text + detail;
    }

    /** The reason's words, then ": " and {@code detail}. */
    public String because(String detail) {
        return text + ": " + detail;
    }
}
