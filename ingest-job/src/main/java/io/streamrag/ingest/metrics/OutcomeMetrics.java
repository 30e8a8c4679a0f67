package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/** Metrics of {@link io.streamrag.ingest.functions.TrackOutcomes}: documents by outcome, dead letters by stage, and backfill progress. */
public final class OutcomeMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> INDEXED = SPECS.counter("documentsIndexed");
    public static final MetricSpec<Counter> DELETED = SPECS.counter("documentsDeleted");
    public static final MetricSpec<Counter> STALE = SPECS.counter("documentsStale");
    public static final MetricSpec<Counter> DEAD_LETTERED = SPECS.counter("documentsDeadLettered");
    public static final MetricSpec<Gauge<Long>> PROGRESS_DONE = SPECS.gauge("progressDone");
    public static final MetricSpec<Gauge<Long>> PROGRESS_TOTAL = SPECS.gauge("progressTotal");
    /** Per stage: {@code documentsDeadLettered_<stage>}. */
    public static final String DEAD_LETTERED_PREFIX = "documentsDeadLettered_";
    /** Per error code (docs/CONTRACT.md's {@code error}, e.g. LimitExceeded): {@code documentsDeadLetteredFor_<error>}. */
    public static final String DEAD_LETTERED_ERROR_PREFIX = "documentsDeadLetteredFor_";
    /** Job accumulators {@code outcome.<indexed|deleted|stale|dead-lettered>}, readable after the job ends. */
    public static final String ACCUMULATOR_PREFIX = "outcome.";

    private final Map<String, Counter> byStage = new HashMap<>();
    private final Map<String, Counter> byError = new HashMap<>();

    public OutcomeMetrics(MetricGroup group, Gauge<Long> done, Gauge<Long> total) {
        super(group, SPECS);
        gauge(PROGRESS_DONE, done);
        gauge(PROGRESS_TOTAL, total);
    }

    public Counter deadLetteredAt(String stage) {
        return byStage.computeIfAbsent(String.valueOf(stage), s -> group.counter(DEAD_LETTERED_PREFIX + s));
    }

    /** The counter of one error code; the caller keeps the codes a closed set (one metric each). */
    public Counter deadLetteredFor(String error) {
        return byError.computeIfAbsent(error, e -> group.counter(DEAD_LETTERED_ERROR_PREFIX + e));
    }
}
