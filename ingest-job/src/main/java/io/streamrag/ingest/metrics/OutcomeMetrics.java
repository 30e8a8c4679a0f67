package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/** Metrics of {@link io.streamrag.ingest.functions.TrackOutcomes}: documents by outcome, dead letters by stage, and backfill progress. */
public final class OutcomeMetrics {
    public static final String INDEXED = "documentsIndexed";
    public static final String DELETED = "documentsDeleted";
    public static final String STALE = "documentsStale";
    public static final String DEAD_LETTERED = "documentsDeadLettered";
    /** Per stage: {@code documentsDeadLettered_<stage>}. */
    public static final String DEAD_LETTERED_PREFIX = "documentsDeadLettered_";
    public static final String PROGRESS_DONE = "progressDone";
    public static final String PROGRESS_TOTAL = "progressTotal";
    /** Job accumulators {@code outcome.<indexed|deleted|stale|dead-lettered>}, readable after the job ends. */
    public static final String ACCUMULATOR_PREFIX = "outcome.";

    private final MetricGroup group;
    public final Counter indexed;
    public final Counter deleted;
    public final Counter stale;
    public final Counter deadLettered;
    private final Map<String, Counter> byStage = new HashMap<>();

    public OutcomeMetrics(MetricGroup group, Gauge<Long> done, Gauge<Long> total) {
        this.group = group;
        indexed = group.counter(INDEXED);
        deleted = group.counter(DELETED);
        stale = group.counter(STALE);
        deadLettered = group.counter(DEAD_LETTERED);
        group.gauge(PROGRESS_DONE, done);
        group.gauge(PROGRESS_TOTAL, total);
    }

    public Counter deadLetteredAt(String stage) {
        return byStage.computeIfAbsent(String.valueOf(stage), s -> group.counter(DEAD_LETTERED_PREFIX + s));
    }
}
