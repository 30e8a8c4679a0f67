package io.streamrag.cli.commands;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The backfill summary comes from the job's accumulators, not from the last metrics read while it ran. */
class BackfillCommandTest {

    @Test
    void summaryTakesTheJobsOwnCountsOverTheLastMetricsRead() {
        // The run: metrics last read mid-run said 1 indexed and 404 pages of three 534-page files.
        Map<String, Double> lastMetrics = Map.of(BackfillCommand.INDEXED, 1.0, BackfillCommand.PAGES, 404.0);
        Map<String, String> accumulators = Map.of(
                "outcome.indexed", "2", "outcome.dead-lettered", "1", "outcome.stale", "1", "outcome.deleted", "0",
                "extract.pages", "534");

        BackfillCommand.Summary summary = BackfillCommand.Summary.of(accumulators, lastMetrics);

        assertThat(summary.documents()).isEqualTo(4);
        assertThat(summary.indexed).isEqualTo(2);
        assertThat(summary.deadLettered).isEqualTo(1);
        assertThat(summary.staleOrDeleted).isEqualTo(1);
        assertThat(summary.pages).isEqualTo(534);
        assertThat(summary).hasToString("4 documents, 2 indexed, 1 dead-lettered, 1 stale or deleted, 534 pages read");
    }

    @Test
    void summaryFallsBackToMetricsWhenTheJobHasNoAccumulators() {
        BackfillCommand.Summary summary = BackfillCommand.Summary.of(Map.of(),
                Map.of(BackfillCommand.INDEXED, 3.0, BackfillCommand.DEAD, 0.0, BackfillCommand.PAGES, 12.0));

        assertThat(summary).hasToString("3 documents, 3 indexed, 0 dead-lettered, 12 pages read");
    }
}
