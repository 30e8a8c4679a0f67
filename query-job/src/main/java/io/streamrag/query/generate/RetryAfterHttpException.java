package io.streamrag.query.generate;

import dev.langchain4j.exception.HttpException;

/**
 * langchain4j's {@link HttpException} keeps only the status code; this subclass also keeps {@code Retry-After}, so
 * our retry loop can honour it after langchain4j wraps it (it stays the root cause of the mapped exception).
 */
public class RetryAfterHttpException extends HttpException {
    private final long retryAfterMs;

    public RetryAfterHttpException(int statusCode, String message, long retryAfterMs) {
        super(statusCode, message);
        this.retryAfterMs = retryAfterMs;
    }

    /** Milliseconds the server asked us to wait, or -1 if it did not say. */
    public long retryAfterMs() {
        return retryAfterMs;
    }
}
