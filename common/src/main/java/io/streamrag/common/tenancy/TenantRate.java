package io.streamrag.common.tenancy;

import io.streamrag.common.config.OptionChecks;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.io.Serializable;

/**
 * One tenant's share of a job, for {@link TenantRateLimiter}: units per second (0: no limit), the bucket a quiet tenant
 * may spend at once, how many of its records may wait, and how many bytes they may hold together (records that carry
 * content, such as inline documents, are bounded by size as well as count); and how many records, and bytes, all
 * tenants' queues may hold together on one subtask (tenant names are whatever producers send: without that ceiling,
 * each made-up tenant added a full queue of state).
 */
public record TenantRate(double perSecond, int burst, int maxWaiting, long maxWaitingBytes, long maxWaitingTotal,
                         long maxWaitingBytesTotal) implements Serializable {

    public TenantRate {
        check(perSecond, burst, maxWaiting, maxWaitingBytes, "the rate", "the burst", "the records that may wait",
                "the bytes that may wait");
        if (maxWaitingTotal < 0 || maxWaitingBytesTotal < 0) {
            throw new IllegalArgumentException("the records and bytes all tenants may have waiting must be at least 0, were "
                    + maxWaitingTotal + " and " + maxWaitingBytesTotal);
        }
    }

    /** A rate whose waiting records are bounded by count only, per tenant only (tests). */
    public TenantRate(double perSecond, int burst, int maxWaiting) {
        this(perSecond, burst, maxWaiting, Long.MAX_VALUE);
    }

    /** A rate whose waiting records are bounded per tenant only (tests). */
    public TenantRate(double perSecond, int burst, int maxWaiting, long maxWaitingBytes) {
        this(perSecond, burst, maxWaiting, maxWaitingBytes, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * Read from a job's options when the job is built, so a bad setting fails the submission and names its key. The
     * subtask's ceilings may not be below one tenant's bounds: that would make those unreachable.
     */
    public static TenantRate from(Configuration conf, ConfigOption<Double> rate, ConfigOption<Integer> burst,
                                  ConfigOption<Integer> maxWaiting, ConfigOption<MemorySize> maxWaitingBytes,
                                  ConfigOption<Integer> maxWaitingTotal, ConfigOption<MemorySize> maxWaitingBytesTotal) {
        double perSecond = conf.get(rate);
        int bucket = conf.get(burst);
        int waiting = conf.get(maxWaiting);
        long bytes = conf.get(maxWaitingBytes).getBytes();
        check(perSecond, bucket, waiting, bytes, rate.key(), burst.key(), maxWaiting.key(), maxWaitingBytes.key());
        int total = OptionChecks.atLeast(conf, maxWaitingTotal, maxWaiting);
        long bytesTotal = OptionChecks.atLeastSize(conf, maxWaitingBytesTotal, maxWaitingBytes).getBytes();
        return new TenantRate(perSecond, bucket, waiting, bytes, total, bytesTotal);
    }

    private static void check(double perSecond, int burst, int maxWaiting, long maxWaitingBytes, String rateName,
                              String burstName, String waitingName, String bytesName) {
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException(rateName + " must be 0 (off) or a positive number, was " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException(burstName + " must be at least 1, was " + burst);
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException(waitingName + " must be at least 0, was " + maxWaiting);
        }
        if (maxWaitingBytes < 0) {
            throw new IllegalArgumentException(bytesName + " must be at least 0, was " + maxWaitingBytes);
        }
    }

    public boolean enabled() {
        return perSecond > 0;
    }
}
