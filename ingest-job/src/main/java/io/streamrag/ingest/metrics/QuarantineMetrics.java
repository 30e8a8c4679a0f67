package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.IntSupplier;

/** Metrics of {@link io.streamrag.ingest.functions.Quarantine}. */
public final class QuarantineMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> POISONED = SPECS.counter("quarantinePoisoned");
    public static final MetricSpec<Counter> RETRIED = SPECS.counter("quarantineRetried");
    public static final MetricSpec<Gauge<Integer>> HELD_DOCUMENTS = SPECS.gauge("quarantineHeldDocuments");
    /** Documents let straight through (not gated: normal running, nothing of theirs replayed or held). */
    public static final MetricSpec<Counter> PASSED = SPECS.counter("quarantinePassed");
    /** Suspects still to be retried (entries in flight at a failure, bisected over the following checkpoints). */
    public static final MetricSpec<Gauge<Integer>> SUSPECTS = SPECS.gauge("quarantineSuspects");
    /** Milliseconds the input waited for a checkpoint's notice because the quarantine held a full release or more. */
    public static final MetricSpec<Counter> INPUT_WAIT_MS = SPECS.counter("quarantineInputWaitMs");
    /** Documents held unreleased because OpenSearch or the remote embedding endpoint does not answer (0 when they do). */
    public static final MetricSpec<Gauge<Integer>> OUTAGE_HELD = SPECS.gauge("quarantineOutageHeld");
    /** Documents in flight at a failure that a restore did not count as an attempt: a dependency did not answer then. */
    public static final MetricSpec<Counter> OUTAGE_REFUNDED = SPECS.counter("quarantineOutageRefunded");

    public QuarantineMetrics(MetricGroup group, IntSupplier held, IntSupplier suspects, IntSupplier outageHeld) {
        super(group, SPECS);
        gauge(HELD_DOCUMENTS, held::getAsInt);
        gauge(SUSPECTS, suspects::getAsInt);
        gauge(OUTAGE_HELD, outageHeld::getAsInt);
    }
}
