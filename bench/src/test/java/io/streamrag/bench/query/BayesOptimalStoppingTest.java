package io.streamrag.bench.query;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The frontier's dynamic programme against closed forms. */
class BayesOptimalStoppingTest {

    @Test
    void fullNAccuracyWithOneDistractorIsTheBinomialMajority() {
        double p = 0.6;
        int n = 16;
        double expected = 0;
        for (int k = 0; k <= n; k++) {
            double pk = Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
            expected += k > n / 2 ? pk : k == n / 2 ? pk / 2 : 0; // a tie is a coin flip
        }
        BayesOptimalStopping.Point pt = new BayesOptimalStopping(n, 1, p, 3, 2).at(1e9);
        assertThat(pt.fullAccuracy()).isCloseTo(expected, Offset.offset(1e-9));
        // With an enormous price on errors it stops only once the vote is decided: the same accuracy, and never
        // before 9 calls (9 to 0 is the first lead the 7 outstanding cannot undo).
        assertThat(pt.accuracy()).isCloseTo(expected, Offset.offset(1e-9));
        assertThat(pt.calls()).isBetween(9.0, (double) n);
    }

    @Test
    void cheapErrorsStopAfterTheFirstWave() {
        BayesOptimalStopping.Point pt = new BayesOptimalStopping(16, 4, 0.8, 3, 2).at(0.5);
        assertThat(pt.calls()).isCloseTo(3, Offset.offset(1e-9));
    }

    @Test
    void moreCallsBuyAccuracy() {
        BayesOptimalStopping model = new BayesOptimalStopping(16, 4, 0.6, 3, 2);
        BayesOptimalStopping.Point within1 = model.leastCallsWithin(0.01);
        BayesOptimalStopping.Point within01 = model.leastCallsWithin(0.001);
        assertThat(within1.fullAccuracy() - within1.accuracy()).isLessThanOrEqualTo(0.01);
        assertThat(within01.calls()).isGreaterThan(within1.calls());
    }

    private static double logChoose(int n, int k) {
        double r = 0;
        for (int i = 1; i <= k; i++) {
            r += Math.log(n - k + i) - Math.log(i);
        }
        return r;
    }
}
