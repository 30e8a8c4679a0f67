package io.streamrag.query.generate;

import java.io.Serializable;
import java.util.concurrent.ThreadLocalRandom;

/** Bounded retries with exponential backoff and jitter; a server's Retry-After wins when longer. */
public class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int maxRetries;
    public final long baseBackoffMs;
    public final long maxBackoffMs;

    public RetryPolicy(int maxRetries, long baseBackoffMs, long maxBackoffMs) {
        this.maxRetries = maxRetries;
        this.baseBackoffMs = baseBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
    }

    /** Delay before retry number {@code retry} (0-based): "equal jitter" in [cap/2, cap]. */
    public long backoffMs(int retry, long retryAfterMs) {
        long cap = Math.min(maxBackoffMs, baseBackoffMs << Math.min(retry, 20));
        long delay = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
        return Math.max(delay, retryAfterMs);
    }
}
