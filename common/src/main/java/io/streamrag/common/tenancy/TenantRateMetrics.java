package io.streamrag.common.tenancy;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Metrics of a {@link TenantRateLimiter}, named for what the job limits: {@code tenant<Unit>Delayed} (records that
 * waited for their tenant's rate) and {@code tenant<Unit>Refused} (records refused at a full queue or past a deadline).
 */
public final class TenantRateMetrics {
    public static final String PREFIX = "tenant";
    public static final String DELAYED = "Delayed";
    public static final String REFUSED = "Refused";

    final Counter delayed;
    final Counter refused;

    /** @param unit the records limited, capitalised and plural, e.g. {@code Questions}: {@code tenantQuestionsDelayed} */
    public TenantRateMetrics(MetricGroup group, String unit) {
        this.delayed = group.counter(PREFIX + unit + DELAYED);
        this.refused = group.counter(PREFIX + unit + REFUSED);
    }
}
