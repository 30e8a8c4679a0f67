package io.streamrag.common.tenancy;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * Metrics of a {@link TenantRateLimiter}, named for what the job limits ({@link Unit}): {@code tenant<Unit>Delayed}
 * (records that waited in their tenant's queue) and {@code tenant<Unit>Refused} (records refused at a full queue, or
 * still waiting at their deadline).
 */
public final class TenantRateMetrics extends ComponentMetrics {

    /** What a job limits, and the specs of its two metrics. */
    public static final class Unit {
        private final MetricSpecs specs = new MetricSpecs();
        public final MetricSpec<Counter> delayed;
        public final MetricSpec<Counter> refused;

        private Unit(String plural) {
            delayed = specs.counter("tenant" + plural + "Delayed");
            refused = specs.counter("tenant" + plural + "Refused");
        }
    }

    /** The ingest job's document events: {@code tenantDocumentsDelayed}, {@code tenantDocumentsRefused}. */
    public static final Unit DOCUMENTS = new Unit("Documents");
    /** The query job's questions: {@code tenantQuestionsDelayed}, {@code tenantQuestionsRefused}. */
    public static final Unit QUESTIONS = new Unit("Questions");

    private final Unit unit;

    public TenantRateMetrics(MetricGroup group, Unit unit) {
        super(group, unit.specs);
        this.unit = unit;
    }

    void delayed() {
        get(unit.delayed).inc();
    }

    void refused() {
        get(unit.refused).inc();
    }
}
