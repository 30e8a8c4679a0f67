package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/** Metrics of {@code AdaptiveGenerate} besides the per-endpoint generation metrics. */
public class AdaptiveMetrics {
    public static final String CALLS_SAVED = "candidatesSaved";
    public static final String WAVES = "waves";
    public static final String STOPPED_EARLY = "questionsStoppedEarly";

    public final Counter saved;
    public final Counter waves;
    public final Counter stoppedEarly;

    public AdaptiveMetrics(MetricGroup group) {
        saved = group.counter(CALLS_SAVED, new ThreadSafeSimpleCounter());
        waves = group.counter(WAVES, new ThreadSafeSimpleCounter());
        stoppedEarly = group.counter(STOPPED_EARLY, new ThreadSafeSimpleCounter());
    }
}
