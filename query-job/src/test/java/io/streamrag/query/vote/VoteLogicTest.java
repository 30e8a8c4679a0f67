package io.streamrag.query.vote;

import io.streamrag.query.records.CandidateResult;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Answer normalisation, the tally and the adaptive stopping rule. */
class VoteLogicTest {

    @Test
    void normalisesCasePunctuationArticlesAndNumbers() {
        assertThat(AnswerNormalizer.normalize("8,443")).isEqualTo("8443");
        assertThat(AnswerNormalizer.normalize("The 8443.")).isEqualTo("8443");
        assertThat(AnswerNormalizer.normalize("Port 8443!")).isEqualTo("port 8443");
        assertThat(AnswerNormalizer.normalize("An Apple")).isEqualTo("apple");
        assertThat(AnswerNormalizer.normalize("eight")).isEqualTo("8");
        assertThat(AnswerNormalizer.normalize("3.50")).isEqualTo("3.50");
        assertThat(AnswerNormalizer.normalize("4.0")).isEqualTo("4");
        assertThat(AnswerNormalizer.normalize("1,234,567")).isEqualTo("1234567");
        assertThat(AnswerNormalizer.normalize("the Platform team")).isEqualTo("platform team");
        assertThat(AnswerNormalizer.normalize(null)).isEmpty();
        assertThat(AnswerNormalizer.normalize("version 1.2.0")).isEqualTo("version 1.2");
    }

    @Test
    void aLongRunOfDigitsIsNormalisedInOnePass() {
        // Every position of the run used to rescan the rest for ".0" (quadratic: ~10^10 steps here, on a thread no one
        // can interrupt); a bound on termination, not a speed target.
        String digits = "7".repeat(200_000);
        String normalised = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> AnswerNormalizer.normalize(digits));
        assertThat(normalised).isEqualTo(digits);
    }

    @Test
    void aVoteNormalisesEachAnswerOnceOverAllArrivals() {
        // 32 answers of 4,000 chars arriving one by one, tallied at each arrival as the vote does: each held answer
        // was normalised again every time (32 * 33 / 2 normalisations). The candidates are fresh copies at every
        // arrival, as RocksDB state deserialises them, so the cache cannot rely on the objects.
        int n = 32;
        AnswerKeys keys = new AnswerKeys(AnswerKeys.DEFAULT_MAX_CHARS);
        List<CandidateResult> held = new ArrayList<>();
        VoteTally tally = null;
        for (int i = 0; i < n; i++) {
            List<CandidateResult> restored = new ArrayList<>();
            for (CandidateResult c : held) {
                restored.add(candidate(c.index, new String(c.answer)));
            }
            String answer = i % 3 == 0 ? "b.b." .repeat(1000) : ("B.b. " + "x".repeat(3995 - String.valueOf(i).length()) + i);
            restored.add(candidate(i, answer));
            held = restored;
            tally = VoteTally.of(held, keys);
            assertThat(tally.leader().key).isEqualTo(VoteTally.of(held).leader().key);
        }
        assertThat(keys.normalisations).isLessThanOrEqualTo(n);
        assertThat(tally.leader().count).isEqualTo(11);
        assertThat(tally.leader().firstIndex).isZero();
        assertThat(tally.groups()).hasSize(1 + n - 11);
    }

    @Test
    void answerKeysStayWithinTheirBound() {
        AnswerKeys keys = new AnswerKeys(100);
        assertThat(keys.of("The Answer")).isEqualTo("answer");
        assertThat(keys.of(null)).isEmpty();
        assertThat(keys.of("x".repeat(200))).isEqualTo("x".repeat(200)); // too long to keep: normalised, not held
        assertThat(keys.of("x".repeat(200))).isEqualTo("x".repeat(200));
        assertThat(keys.normalisations).isEqualTo(3);
        for (int i = 0; i < 20; i++) {
            keys.of("Answer number " + i); // evicts the oldest once past 100 chars
        }
        assertThat(keys.of("The Answer")).isEqualTo("answer");
        assertThat(keys.normalisations).isEqualTo(3 + 20 + 1);
        assertThat(keys.of("Answer number 19")).isEqualTo("answer number 19");
        assertThat(keys.normalisations).isEqualTo(3 + 20 + 1);
    }

    private static CandidateResult candidate(int index, String answer) {
        CandidateResult c = new CandidateResult();
        c.index = index;
        c.status = CandidateResult.Status.OK.name();
        c.answer = answer;
        return c;
    }

    @Test
    void stoppingRule() {
        assertThat(StoppingRule.probabilityLeaderBetter(3, 0)).isCloseTo(15.0 / 16, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(StoppingRule.probabilityLeaderBetter(4, 0)).isCloseTo(31.0 / 32, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(StoppingRule.shouldStop(3, 0, 13, 0.95)).isFalse();
        assertThat(StoppingRule.shouldStop(4, 0, 12, 0.95)).isTrue();
        assertThat(StoppingRule.shouldStop(2, 0, 1, 0.95)).isTrue(); // cannot be overtaken
        assertThat(StoppingRule.shouldStop(0, 0, 5, 0.95)).isFalse();
        assertThat(StoppingRule.shouldStop(3, 3, 10, 0.95)).isFalse();
    }
}
