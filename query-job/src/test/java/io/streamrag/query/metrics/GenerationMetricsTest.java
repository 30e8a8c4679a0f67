package io.streamrag.query.metrics;

import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.CandidateResult.Status;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What each candidate's end counts, per endpoint. */
class GenerationMetricsTest {

    private static CandidateResult result(Status status) {
        CandidateResult r = new CandidateResult();
        r.endpoint = "local";
        r.status = status.name();
        r.latencyMs = 5;
        return r;
    }

    private static long count(MetricListener listener, String name) {
        return listener.getCounter("endpoint", "local", name).map(Counter::getCount).orElseThrow();
    }

    /** A candidate the decided vote aborted is not the endpoint's failure: a healthy endpoint must not look failing. */
    @Test
    void aCandidateTheVoteCancelledCountsAsNoFailureOfItsEndpoint() {
        MetricListener listener = new MetricListener();
        GenerationMetrics metrics = new GenerationMetrics(listener.getMetricGroup());
        metrics.completed(result(Status.OK));
        metrics.completed(result(Status.CANCELLED));
        metrics.completed(result(Status.ERROR));
        metrics.completed(result(Status.TIMEOUT));
        assertThat(count(listener, "candidatesSucceeded")).isOne();
        assertThat(count(listener, "candidatesFailed")).isOne();
        assertThat(count(listener, "candidatesTimedOut")).isOne();
    }
}
