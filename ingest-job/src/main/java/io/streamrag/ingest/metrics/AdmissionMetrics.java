package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import io.streamrag.common.tenancy.TenantRateLimiter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.TenantAdmission}. */
public final class AdmissionMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    /** Documents that waited in their tenant's queue for its rate. */
    public static final MetricSpec<Counter> DELAYED = SPECS.counter("tenantDocumentsDelayed");
    /** Documents refused: their tenant's queue was full (by count or by inline content). */
    public static final MetricSpec<Counter> REFUSED = SPECS.counter("tenantDocumentsRefused");

    public AdmissionMetrics(MetricGroup group) {
        super(group, SPECS);
    }

    /** The counters the rate limiter keeps. */
    public TenantRateLimiter.Counters counters() {
        return new TenantRateLimiter.Counters(get(DELAYED), get(REFUSED));
    }
}
