package io.streamrag.cli.commands;

import io.streamrag.common.records.ChunkRef;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How the sweep decides that an answer is right and that a chunk is on the expected page. */
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

    @Test
    void aRetrievedChunkIsOnEveryPageItCoversACitationOnItsPage() {
        ChunkRef retrieved = new ChunkRef("en-eyesj.pdf", 9, "c24", "text", 0.5);
        retrieved.pageEnd = 10;
        assertThat(SweepCommand.onPage(retrieved, "en-eyesj", List.of(10))).isTrue();
        assertThat(SweepCommand.onPage(retrieved, "en-eyesj", List.of(11, 8))).isFalse();
        ChunkRef cited = new ChunkRef("en-eyesj.pdf", 10, "c24", "text", 0.5);
        cited.pageEnd = 10;
        assertThat(SweepCommand.onPage(cited, "en-eyesj", List.of(9))).isFalse();
        // Answers of earlier releases carry no pageEnd: the page alone.
        ChunkRef old = new ChunkRef("manual-42", 17, "c1", "text", 0.5);
        assertThat(SweepCommand.onPage(old, "manual-42", List.of(17))).isTrue();
        assertThat(SweepCommand.onPage(old, null, List.of(17))).isTrue();
        assertThat(SweepCommand.onPage(old, "manual-4", List.of(17))).isFalse();
        assertThat(SweepCommand.onPage(old, "manual-42", List.of(18))).isFalse();
    }
}
