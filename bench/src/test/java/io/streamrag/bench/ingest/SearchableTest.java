package io.streamrag.bench.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The end-to-end phase's sustained rate: from the first searchable chunks to the last. */
class SearchableTest {

    @Test
    void theRateLeavesOutWhatWasSearchableAtTheFirstPoll() {
        // 800 chunks, 80 of them seen 1 s after the first send, the rest by 9 s: 720 chunks in 8 s.
        IngestBenchmark.Searchable phase = new IngestBenchmark.Searchable(800, 1_000_000_000L, 80, 9_000_000_000L);
        assertThat(phase.sustainedPerSecond()).isCloseTo(90.0, within(1e-9));
    }

    @Test
    void withNoPollBetweenTheRateIsTheOneFromTheFirstSend() {
        // Nothing seen before all of them: the first point is the first send (at 0), so 800 chunks in 4 s.
        IngestBenchmark.Searchable phase = new IngestBenchmark.Searchable(800, 0, 0, 4_000_000_000L);
        assertThat(phase.sustainedPerSecond()).isCloseTo(200.0, within(1e-9));
    }
}
