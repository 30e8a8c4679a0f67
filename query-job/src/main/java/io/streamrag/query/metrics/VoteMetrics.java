package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code SelfConsistencyVote}. */
public class VoteMetrics extends ComponentMetrics {
    public static final String DECIDED = "votesDecided";
    public static final String EARLY = "earlyDecisions";
    public static final String DEADLINE = "deadlineDecisions";
    public static final String LATE = "lateCandidatesDropped";
    public static final String AGREEMENT = "agreementPercent";

    public final Counter decided = counter(DECIDED);
    public final Counter early = counter(EARLY);
    public final Counter deadline = counter(DEADLINE);
    public final Counter late = counter(LATE);
    public final Histogram agreement = histogram(AGREEMENT, 1000);

    public VoteMetrics(MetricGroup group) {
        super(group);
    }
}
