package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code TenantAdmission}. */
public class AdmissionMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    /** Questions that waited for their tenant's rate before going on. */
    public static final MetricSpec<Counter> DELAYED = SPECS.counter("tenantQuestionsDelayed");
    /** Questions answered FAILED at admission: their tenant's queue was full, or they waited past their deadline. */
    public static final MetricSpec<Counter> REFUSED = SPECS.counter("tenantQuestionsRefused");

    public AdmissionMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
