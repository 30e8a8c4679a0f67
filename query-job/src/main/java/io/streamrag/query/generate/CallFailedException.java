package io.streamrag.query.generate;

/** A model call that failed for good (after retries); {@code timeout} tells TIMEOUT from ERROR candidates. */
public class CallFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public final boolean timeout;
    public final int attempts;

    public CallFailedException(String message, boolean timeout, int attempts, Throwable cause) {
        super(message, cause);
        this.timeout = timeout;
        this.attempts = attempts;
    }
}
