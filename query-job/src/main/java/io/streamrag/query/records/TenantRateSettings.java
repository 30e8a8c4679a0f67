package io.streamrag.query.records;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;

import java.io.Serializable;

/**
 * Each tenant's share of the job ({@code query.tenant.*}), for {@code TenantAdmission}: candidates per second, the
 * bucket a quiet tenant may spend at once, and how many of its questions may wait.
 */
public record TenantRateSettings(double candidatesPerSecond, int burst, int maxWaiting) implements Serializable {

    public TenantRateSettings {
        if (!(candidatesPerSecond >= 0) || Double.isInfinite(candidatesPerSecond)) {
            throw new IllegalArgumentException(QueryOptions.TENANT_CANDIDATE_RATE.key() + " must be 0 (off) or a positive "
                    + "number, was " + candidatesPerSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException(QueryOptions.TENANT_BURST.key() + " must be at least 1, was " + burst);
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException(QueryOptions.TENANT_MAX_WAITING.key() + " must be at least 0, was " + maxWaiting);
        }
    }

    /** Parsed when the job is built, so a bad setting fails the submission. */
    public static TenantRateSettings from(Configuration conf) {
        return new TenantRateSettings(conf.get(QueryOptions.TENANT_CANDIDATE_RATE), conf.get(QueryOptions.TENANT_BURST),
                conf.get(QueryOptions.TENANT_MAX_WAITING));
    }

    public boolean enabled() {
        return candidatesPerSecond > 0;
    }

    /** What a question spends: its n, at most a full bucket (so any question can pass once the bucket is full). */
    public int cost(QuestionTask q) {
        return Math.max(1, Math.min(q.n, burst));
    }
}
