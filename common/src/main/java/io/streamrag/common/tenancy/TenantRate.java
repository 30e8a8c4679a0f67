package io.streamrag.common.tenancy;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * One tenant's share of a job, for {@link TenantRateLimiter}: units per second (0: no limit), the bucket a quiet tenant
 * may spend at once, and how many of its records may wait.
 */
public record TenantRate(double perSecond, int burst, int maxWaiting) implements Serializable {

    public TenantRate {
        check(perSecond, burst, maxWaiting, "the rate", "the burst", "the records that may wait");
    }

    /** Read from a job's three options when the job is built, so a bad setting fails the submission and names its key. */
    public static TenantRate from(Configuration conf, ConfigOption<Double> rate, ConfigOption<Integer> burst,
                                  ConfigOption<Integer> maxWaiting) {
        double perSecond = conf.get(rate);
        int bucket = conf.get(burst);
        int waiting = conf.get(maxWaiting);
        check(perSecond, bucket, waiting, rate.key(), burst.key(), maxWaiting.key());
        return new TenantRate(perSecond, bucket, waiting);
    }

    private static void check(double perSecond, int burst, int maxWaiting, String rateName, String burstName,
                              String waitingName) {
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException(rateName + " must be 0 (off) or a positive number, was " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException(burstName + " must be at least 1, was " + burst);
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException(waitingName + " must be at least 0, was " + maxWaiting);
        }
    }

    public boolean enabled() {
        return perSecond > 0;
    }
}
