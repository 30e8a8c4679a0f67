package io.streamrag.cli.commands;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How the sweep decides that an answer is right. */
class SweepCommandTest {

    @Test
    void matchesNormalisedAnswersOnWordBoundaries() {
        assertThat(SweepCommand.matches("The admin UI uses port 8443.", "8443")).isTrue();
        assertThat(SweepCommand.matches("Port 8,443", "8443")).isTrue();
        assertThat(SweepCommand.matches("84430", "8443")).isFalse();
        assertThat(SweepCommand.matches("version 3.2.1", "3.2.1")).isTrue();
        assertThat(SweepCommand.matches("It is 14 Days", "14 days")).isTrue();
        assertThat(SweepCommand.matches(null, "14 days")).isFalse();
        assertThat(SweepCommand.matches("anything", "")).isFalse();
    }
}
