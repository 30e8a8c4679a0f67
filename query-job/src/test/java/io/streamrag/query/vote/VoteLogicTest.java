package io.streamrag.query.vote;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Answer normalisation and the adaptive stopping rule. */
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
