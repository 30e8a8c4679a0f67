package io.streamrag.query.generate;

import io.streamrag.common.retry.Backoff;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;
import java.time.Duration;

/** Bounded retries with the common {@link Backoff} (exponential, equal jitter); a server's Retry-After wins when longer. */
public class RetryPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int maxRetries;
    private final Backoff backoff;

    public RetryPolicy(int maxRetries, long baseBackoffMs, long maxBackoffMs) {
        this.maxRetries = maxRetries;
        this.backoff = Backoff.of(Duration.ofMillis(baseBackoffMs), Duration.ofMillis(maxBackoffMs)).withMaxRetries(maxRetries);
    }

    /** {@code query.retry.*}. */
    public static RetryPolicy from(Configuration conf) {
        return new RetryPolicy(conf.get(QueryOptions.RETRY_MAX_RETRIES), conf.get(QueryOptions.RETRY_BACKOFF).toMillis(),
                conf.get(QueryOptions.RETRY_MAX_BACKOFF).toMillis());
    }

    /** Delay before retry number {@code retry} (0-based): "equal jitter" in [cap/2, cap]. */
    public long backoffMs(int retry, long retryAfterMs) {
        return Math.max(backoff.delayMs(retry), retryAfterMs);
    }
}
