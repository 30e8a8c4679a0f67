package io.streamrag.query.generate;

import io.streamrag.common.retry.Backoff;

import java.io.Serializable;
import java.time.Duration;

/** Bounded retries with the common {@link Backoff} (exponential, equal jitter); a server's Retry-After wins when longer. */
public class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int maxRetries;
    public final long baseBackoffMs;
    public final long maxBackoffMs;
    private final Backoff backoff;

    public RetryPolicy(int maxRetries, long baseBackoffMs, long maxBackoffMs) {
        this.maxRetries = maxRetries;
        this.baseBackoffMs = baseBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.backoff = Backoff.of(Duration.ofMillis(baseBackoffMs), Duration.ofMillis(maxBackoffMs)).withMaxRetries(maxRetries);
    }

    /** Delay before retry number {@code retry} (0-based): "equal jitter" in [cap/2, cap]. */
    public long backoffMs(int retry, long retryAfterMs) {
        return Math.max(backoff.delayMs(retry), retryAfterMs);
    }
}
