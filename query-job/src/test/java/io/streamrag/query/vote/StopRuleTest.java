package io.streamrag.query.vote;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The adaptive stopping rules: LEAD's decisions and its sequential-test error, BETA unchanged. */
class StopRuleTest {

    @Test
    void leadStopsOnceTheLeaderIsAheadByTheLead() {
        assertThat(StopRule.LEAD.shouldStop(3, 0, 13, 0.95, 3)).isTrue();
        assertThat(StopRule.LEAD.shouldStop(4, 1, 11, 0.95, 3)).isTrue();
        assertThat(StopRule.LEAD.shouldStop(2, 0, 14, 0.95, 3)).isFalse();
        assertThat(StopRule.LEAD.shouldStop(3, 1, 11, 0.95, 3)).isFalse();
        assertThat(StopRule.LEAD.shouldStop(5, 3, 8, 0.95, 3)).isFalse();
        assertThat(StopRule.LEAD.shouldStop(2, 0, 14, 0.95, 2)).isTrue();
    }

    @Test
    void leadStopsWhenTheLeaderCannotBeOvertakenOrNothingRemains() {
        assertThat(StopRule.LEAD.shouldStop(5, 4, 0, 0.95, 3)).isTrue();
        assertThat(StopRule.LEAD.shouldStop(6, 4, 1, 0.95, 3)).isTrue();
        assertThat(StopRule.LEAD.shouldStop(6, 4, 2, 0.95, 3)).isFalse(); // a tie could still win the tie-break
        assertThat(StopRule.LEAD.shouldStop(0, 0, 5, 0.95, 3)).isFalse(); // every candidate failed so far
        assertThat(StopRule.LEAD.shouldStop(0, 0, 0, 0.95, 3)).isTrue();
    }

    @Test
    void betaIsTheEarlierRule() {
        for (int a = 0; a <= 10; a++) {
            for (int b = 0; b <= a; b++) {
                for (int remaining = 0; remaining <= 10; remaining++) {
                    assertThat(StopRule.BETA.shouldStop(a, b, remaining, 0.95, 3))
                            .isEqualTo(StoppingRule.shouldStop(a, b, remaining, 0.95));
                }
            }
        }
    }

    /**
     * A race of the right answer (probability pc per vote) against one wrong answer (pw), other votes going
     * elsewhere, with a budget large enough never to run out: LEAD stops on the wrong answer with probability
     * 1/(1+ρ^lead), ρ = pc/pw (gambler's ruin), computed exactly over the race's states.
     */
    @Test
    void leadErrorIsTheSequentialTestsErrorWhateverTheOtherAnswers() {
        for (double[] race : new double[][] {{0.6, 0.1}, {0.6, 0.4}, {0.8, 0.2}, {0.3, 0.1}}) {
            for (int lead : new int[] {2, 3, 4}) {
                double rho = race[0] / race[1];
                assertThat(wrongStopProbability(race[0], race[1], lead, 400))
                        .isCloseTo(1 / (1 + Math.pow(rho, lead)), Offset.offset(1e-6));
            }
        }
    }

    /** Probability that the LEAD rule stops with the wrong answer ahead, over the states (right, wrong) of the race. */
    private static double wrongStopProbability(double pc, double pw, int lead, int budget) {
        // Votes for other answers change neither count, so only votes for one of the two matter: condition on them.
        double up = pc / (pc + pw);
        double[][] reach = new double[budget + 1][budget + 1];
        reach[0][0] = 1;
        double wrong = 0;
        for (int votes = 0; votes < budget; votes++) {
            for (int right = 0; right <= votes; right++) {
                int w = votes - right;
                double mass = reach[right][w];
                if (mass == 0) {
                    continue;
                }
                int leader = Math.max(right, w);
                int runnerUp = Math.min(right, w);
                if (votes > 0 && StopRule.LEAD.shouldStop(leader, runnerUp, budget - votes, 0.95, lead)) {
                    if (w > right) {
                        wrong += mass;
                    }
                    continue;
                }
                reach[right + 1][w] += mass * up;
                reach[right][w + 1] += mass * (1 - up);
            }
        }
        return wrong;
    }
}
