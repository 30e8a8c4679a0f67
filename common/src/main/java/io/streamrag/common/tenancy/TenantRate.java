package io.streamrag.common.tenancy;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.io.Serializable;

/**
 * One tenant's share of a job, for {@link TenantRateLimiter}: units per second (0: no limit), the bucket a quiet tenant
 * may spend at once, how many of its records may wait, and how many bytes they may hold together (records that carry
 * content, such as inline documents, are bounded by size as well as count).
 */
public record TenantRate(double perSecond, int burst, int maxWaiting, long maxWaitingBytes) implements Serializable {

    public TenantRate {
        check(perSecond, burst, maxWaiting, maxWaitingBytes, "the rate", "the burst", "the records that may wait",
                "the bytes that may wait");
    }

    /** A rate whose waiting records are bounded by count only. */
    public TenantRate(double perSecond, int burst, int maxWaiting) {
        this(perSecond, burst, maxWaiting, Long.MAX_VALUE);
    }

    /** Read from a job's three options when the job is built, so a bad setting fails the submission and names its key. */
    public static TenantRate from(Configuration conf, ConfigOption<Double> rate, ConfigOption<Integer> burst,
                                  ConfigOption<Integer> maxWaiting) {
        double perSecond = conf.get(rate);
        int bucket = conf.get(burst);
        int waiting = conf.get(maxWaiting);
        check(perSecond, bucket, waiting, Long.MAX_VALUE, rate.key(), burst.key(), maxWaiting.key(), "");
        return new TenantRate(perSecond, bucket, waiting);
    }

    /** As {@link #from(Configuration, ConfigOption, ConfigOption, ConfigOption)}, with the waiting records' bytes bounded. */
    public static TenantRate from(Configuration conf, ConfigOption<Double> rate, ConfigOption<Integer> burst,
                                  ConfigOption<Integer> maxWaiting, ConfigOption<MemorySize> maxWaitingBytes) {
        TenantRate counted = from(conf, rate, burst, maxWaiting);
        long bytes = conf.get(maxWaitingBytes).getBytes();
        check(counted.perSecond, counted.burst, counted.maxWaiting, bytes, rate.key(), burst.key(), maxWaiting.key(),
                maxWaitingBytes.key());
        return new TenantRate(counted.perSecond, counted.burst, counted.maxWaiting, bytes);
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
