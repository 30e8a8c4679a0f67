package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/** Metrics of {@link io.streamrag.ingest.functions.TrackOutcomes}: documents by outcome, dead letters by stage, and backfill progress. */
public final class OutcomeMetrics extends ComponentMetrics {
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

    public final Counter indexed = counter(INDEXED);
    public final Counter deleted = counter(DELETED);
    public final Counter stale = counter(STALE);
    public final Counter deadLettered = counter(DEAD_LETTERED);
    private final Map<String, Counter> byStage = new HashMap<>();

    public OutcomeMetrics(MetricGroup group, Gauge<Long> done, Gauge<Long> total) {
        super(group);
        gauge(PROGRESS_DONE, done);
        gauge(PROGRESS_TOTAL, total);
    }

    public Counter deadLetteredAt(String stage) {
        return byStage.computeIfAbsent(String.valueOf(stage), s -> counter(DEAD_LETTERED_PREFIX + s));
    }
}
