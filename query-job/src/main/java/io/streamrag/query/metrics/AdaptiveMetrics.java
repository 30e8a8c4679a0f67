package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code AdaptiveGenerate} besides the per-endpoint generation metrics. */
public class AdaptiveMetrics extends ComponentMetrics {
    public static final String CALLS_SAVED = "candidatesSaved";
    public static final String WAVES = "waves";
    public static final String STOPPED_EARLY = "questionsStoppedEarly";

    public final Counter saved = sharedCounter(CALLS_SAVED);
    public final Counter waves = sharedCounter(WAVES);
    public final Counter stoppedEarly = sharedCounter(STOPPED_EARLY);

    public AdaptiveMetrics(MetricGroup group) {
        super(group);
    }
}
