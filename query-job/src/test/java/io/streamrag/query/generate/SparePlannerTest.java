package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Up-front spares: the quorum-miss chance they are planned from, the straggler share under aborted calls, the plan
 * (fewest spares under the target, none when healthy) and the budget it never exceeds.
 */
class SparePlannerTest {

    @Test
    void missProbabilityIsTheBinomialTailBelowTheQuorum() {
        // 5 candidates, quorum 3, 10 % slow: P(at least 3 slow) = 10 x 0.1^3 x 0.9^2 + 5 x 0.1^4 x 0.9 + 0.1^5.
        assertThat(SparePlanner.missProbability(5, 3, 0, 0.1)).isCloseTo(0.00856, within(1e-9));
        // A spared candidate is slow only if both its calls are (0.01): fewer misses with every spare.
        double one = SparePlanner.missProbability(5, 3, 1, 0.1);
        double two = SparePlanner.missProbability(5, 3, 2, 0.1);
        assertThat(one).isCloseTo(0.004186, within(1e-6));
        assertThat(two).isLessThan(one);
        assertThat(SparePlanner.missProbability(1, 1, 0, 0.3)).isCloseTo(0.3, within(1e-12));
        assertThat(SparePlanner.missProbability(1, 1, 1, 0.3)).isCloseTo(0.09, within(1e-12));
    }

    @Test
    void quorumFollowsTheVotesRule() {
        assertThat(SparePlanner.quorum(5, 1, 1)).isEqualTo(3);
        assertThat(SparePlanner.quorum(4, 1, 1)).isEqualTo(3);
        assertThat(SparePlanner.quorum(1, 1, 1)).isEqualTo(1);
        // A light endpoint's candidates count less than the heaviest outstanding one: more must agree.
        assertThat(SparePlanner.quorum(5, 0.5, 1)).isEqualTo(4);
        assertThat(SparePlanner.quorum(3, 0.1, 1)).isEqualTo(3);
    }

    @Test
    void healthyEndpointsGetNoSpares() {
        SparePlanner planner = new SparePlanner(0.15, 0.002);
        for (int i = 0; i < 1_000; i++) {
            assertThat(planner.plan(5, 3, i % 2 == 0 ? 0.0 : 0.02)).isZero(); // 2 % stragglers: 0.008 % misses
        }
        assertThat(planner.credit()).isEqualTo(5.0); // saved only up to one question's calls
    }

    @Test
    void plansTheFewestSparesThatMeetTheTarget() {
        SparePlanner ample = new SparePlanner(1.0, 0.002);
        assertThat(ample.plan(5, 3, 0.1)).isEqualTo(2);   // 1 spare: 0.42 %, 2 spares: 0.16 % <= 0.2 %
        assertThat(new SparePlanner(1.0, 0.005).plan(5, 3, 0.1)).isEqualTo(1);
        assertThat(new SparePlanner(1.0, 0.01).plan(5, 3, 0.1)).isZero(); // 0.86 % is under a 1 % target
        assertThat(new SparePlanner(0, 0.002).plan(5, 3, 0.5)).isZero();
    }

    @Test
    void aTightBudgetSpreadsOneSpareOverMostQuestionsAndIsNeverExceeded() {
        SparePlanner planner = new SparePlanner(0.15, 0.002);
        long primary = 0;
        long extra = 0;
        int withSpare = 0;
        for (int i = 0; i < 1_000; i++) {
            int spares = planner.plan(5, 3, 0.1);
            primary += 5;
            assertThat(spares).isBetween(0, 1); // 0.75 per question: one for most rather than two for a few
            withSpare += spares;
            extra += spares;
            if (i % 20 == 0) {
                planner.hedged(); // hedges spend the same budget
                extra++;
            }
            if (spares > 0) {
                assertThat(extra).isLessThanOrEqualTo((long) Math.floor(0.15 * primary));
            }
        }
        assertThat(extra).isLessThanOrEqualTo((long) (0.15 * primary));
        assertThat(withSpare).isBetween(690, 700); // 750 credited, 50 spent by hedges
    }

    @Test
    void unusedSparesComeBack() {
        SparePlanner planner = new SparePlanner(0.2, 0.002);
        assertThat(planner.plan(5, 3, 0.1)).isEqualTo(1);
        assertThat(planner.credit()).isZero();
        planner.unused();
        assertThat(planner.plan(5, 3, 0.1)).isEqualTo(2);
    }

    @Test
    void abortedSlowCallsStillCountAsStragglers() {
        // A decided vote aborts the slow calls after the fast ones answered: finished calls alone show no straggler.
        CallDurations d = new CallDurations(256);
        for (int i = 0; i < 100; i++) {
            if (i % 10 == 0) {
                d.aborted(105);
            } else {
                d.finished(100);
            }
        }
        assertThat(d.slowerThan(200, 20)).isCloseTo(0.1, within(1e-9));
        CallDurations healthy = new CallDurations(256);
        for (int i = 0; i < 100; i++) {
            healthy.finished(100 + i % 20);
            if (i % 3 == 0) {
                healthy.aborted(101); // healthy calls the vote no longer needed
            }
        }
        assertThat(healthy.slowerThan(200, 20)).isZero();
        assertThat(new CallDurations(256).slowerThan(200, 20)).isEqualTo(-1);
        // A share seen on few calls counts for less than the same share seen on many.
        assertThat(d.slowerThanAtLeast(200, 20)).isBetween(0.05, 0.1);
        CallDurations many = new CallDurations(1_000);
        for (int i = 0; i < 1_000; i++) {
            if (i % 10 == 0) {
                many.aborted(300);
            } else {
                many.finished(100);
            }
        }
        assertThat(many.slowerThanAtLeast(200, 20)).isBetween(d.slowerThanAtLeast(200, 20), 0.1);
    }

    @Test
    void probesKeepTheShareKnowableWhenTheVoteAbortsAmongTheFastCalls() {
        // 10 % of calls take 1,000 ms, the rest 95..105 ms; the vote aborts what still runs at 100 ms. Aborted all
        // at once, nothing is seen past 100 ms and the estimate is the share still running then (half the calls, a
        // healthy endpoint would get spares); with every second unneeded call running on to the threshold (200 ms)
        // as a probe, it is 10 %.
        CallDurations aborted = new CallDurations(512);
        CallDurations probed = new CallDurations(512);
        int unneeded = 0;
        for (int i = 0; i < 500; i++) {
            long duration = i % 10 == 3 ? 1_000 : 95 + (i * 7) % 11;
            if (duration <= 100) {
                aborted.finished(duration);
                probed.finished(duration);
                continue;
            }
            aborted.aborted(100);
            if (unneeded++ % 2 == 0) {
                if (duration <= 200) {
                    probed.finished(duration);
                } else {
                    probed.aborted(200);
                }
            } else {
                probed.aborted(100);
            }
        }
        assertThat(aborted.slowerThan(200, 20)).isGreaterThan(0.4);
        assertThat(probed.slowerThan(200, 20)).isCloseTo(0.1, within(0.02));
    }

    @Test
    void stragglersAreCallsPastTwiceTheMedianNotPastThePercentile() {
        HedgeSettings s = HedgeSettings.from(new Configuration());
        try (EndpointHealth h = new EndpointHealth(EndpointSpec.parse("e=openai,http://127.0.0.1:1/v1,extractive"),
                HealthSettings.from(new Configuration()))) {
            for (int i = 0; i < 100; i++) {
                h.recordLatency(100 + i % 20);
                h.recordFinished(100 + i % 20);
            }
            assertThat(s.stragglerShare(h)).isZero(); // 5 % pass p95 (118 ms), none pass 2 x the median
            for (int i = 0; i < 30; i++) {
                h.recordAborted(300); // probes still running past 2 x the median
            }
            // 30 of 130 calls, taken at the lower end of its 95 % interval (evidence, not a guess).
            assertThat(s.stragglerShare(h)).isBetween(0.15, 30 / 130.0);
        }
        Configuration off = new Configuration();
        off.set(QueryOptions.HEDGE_ENABLED, false);
        assertThat(HedgeSettings.from(off).planner().plan(5, 3, 0.5)).isZero();
    }
}
