package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.IntSupplier;

/** Metrics of {@link io.streamrag.ingest.functions.Quarantine}. */
public final class QuarantineMetrics {
    public static final String POISONED = "quarantinePoisoned";
    public static final String RETRIED = "quarantineRetried";
    public static final String HELD_DOCUMENTS = "quarantineHeldDocuments";

    public final Counter poisoned;
    public final Counter retried;

    public QuarantineMetrics(MetricGroup group, IntSupplier held) {
        poisoned = group.counter(POISONED);
        retried = group.counter(RETRIED);
        group.gauge(HELD_DOCUMENTS, (Gauge<Integer>) held::getAsInt);
    }
}
