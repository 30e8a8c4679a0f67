package io.streamrag.query.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.metrics.MetricSpecs;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@code SelfConsistencyVote}. */
public class VoteMetrics extends ComponentMetrics {
    private static final MetricSpecs SPECS = new MetricSpecs();
    public static final MetricSpec<Counter> DECIDED = SPECS.counter("votesDecided");
    public static final MetricSpec<Counter> EARLY = SPECS.counter("earlyDecisions");
    public static final MetricSpec<Counter> DEADLINE = SPECS.counter("deadlineDecisions");
    public static final MetricSpec<Counter> LATE = SPECS.counter("lateCandidatesDropped");
    /** Retrieval records of a question the vote already had one for (the question re-sent while in flight). */
    public static final MetricSpec<Counter> DUPLICATE_RETRIEVALS = SPECS.counter("duplicateRetrievalsDropped");
    /** Candidates whose index the vote already held (from a copy of the question re-sent while in flight). */
    public static final MetricSpec<Counter> DUPLICATE_CANDIDATES = SPECS.counter("duplicateCandidatesDropped");
    public static final MetricSpec<Histogram> AGREEMENT = SPECS.histogram("agreementPercent", 1000);

    public VoteMetrics(MetricGroup group) {
        super(group, SPECS);
    }
}
