package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.IntSupplier;

/** Metrics of {@link io.streamrag.ingest.functions.Quarantine}. */
public final class QuarantineMetrics extends ComponentMetrics {
    public static final String POISONED = "quarantinePoisoned";
    public static final String RETRIED = "quarantineRetried";
    public static final String HELD_DOCUMENTS = "quarantineHeldDocuments";
    /** Documents let straight through (not gated: normal running, nothing of theirs replayed or held). */
    public static final String PASSED = "quarantinePassed";

    public final Counter poisoned = counter(POISONED);
    public final Counter retried = counter(RETRIED);
    public final Counter passed = counter(PASSED);

    public QuarantineMetrics(MetricGroup group, IntSupplier held) {
        super(group);
        gauge(HELD_DOCUMENTS, (Gauge<Integer>) held::getAsInt);
    }
}
