package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.IntSupplier;

/** Metrics of {@link Quarantine}. */
public final class QuarantineMetrics {
    public static final String POISONED = "quarantinePoisoned";
    public static final String RETRIED = "quarantineRetried";
    public static final String HELD_DOCUMENTS = "quarantineHeldDocuments";

    final Counter poisoned;
    final Counter retried;

    QuarantineMetrics(MetricGroup group, IntSupplier held) {
        poisoned = group.counter(POISONED);
        retried = group.counter(RETRIED);
        group.gauge(HELD_DOCUMENTS, (Gauge<Integer>) held::getAsInt);
    }
}
