package io.streamrag.query.generate;

/** A model call that failed for good (after retries); {@code timeout} tells TIMEOUT from ERROR candidates. */
public class CallFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a call gave up, beyond the endpoint's answer. */
    public enum Kind {
        /** The endpoint failed (HTTP error, connection error) or timed out. */
        FAILED,
        /** The endpoint's circuit breaker or rate limiter turned the call away: another endpoint may take it. */
        REJECTED,
        /** Aborted because the vote was decided or a hedge answered first. */
        CANCELLED
    }

    public final boolean timeout;
    public final int attempts;
    public final Kind kind;

    public CallFailedException(String message, boolean timeout, int attempts, Throwable cause) {
        this(message, timeout, attempts, cause, Kind.FAILED);
    }

    public CallFailedException(String message, boolean timeout, int attempts, Throwable cause, Kind kind) {
        super(message, cause);
        this.timeout = timeout;
        this.attempts = attempts;
        this.kind = kind;
    }
}
