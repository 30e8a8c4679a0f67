package io.streamrag.query.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** Metrics of {@code SelfConsistencyVote}. */
public class VoteMetrics {
    public static final String DECIDED = "votesDecided";
    public static final String EARLY = "earlyDecisions";
    public static final String DEADLINE = "deadlineDecisions";
    public static final String LATE = "lateCandidatesDropped";
    public static final String AGREEMENT = "agreementPercent";

    public final Counter decided;
    public final Counter early;
    public final Counter deadline;
    public final Counter late;
    public final Histogram agreement;

    public VoteMetrics(MetricGroup group) {
        decided = group.counter(DECIDED);
        early = group.counter(EARLY);
        deadline = group.counter(DEADLINE);
        late = group.counter(LATE);
        agreement = group.histogram(AGREEMENT, new DescriptiveStatisticsHistogram(1000));
    }
}
