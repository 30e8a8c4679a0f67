package io.streamrag.ingest.functions;

import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.metrics.OutcomeMetrics;
import io.streamrag.ingest.records.DocumentOutcome;

import org.apache.flink.api.common.accumulators.Accumulator;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Outcome tracking in Flink's harness: outcomes pass unchanged, counted by outcome and stage; progress survives a restore. */
class TrackOutcomesTest {

    private HarnessMetrics metrics;

    private OneInputStreamOperatorTestHarness<DocumentOutcome, DocumentOutcome> harness(long expectedTotal) throws Exception {
        metrics = new HarnessMetrics();
        return new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new TrackOutcomes(expectedTotal, 60_000)),
                metrics.environment().build());
    }

    private long count(String name) {
        return metrics.count(name);
    }

    private long gauge(String name) {
        return metrics.<Long>gauge(name);
    }

    @Test
    void passesEveryOutcomeOnUnchangedAndCountsItByOutcomeAndStage() throws Exception {
        List<DocumentOutcome> in = List.of(outcome("a", Outcome.INDEXED, null), outcome("b", Outcome.DELETED, null),
                outcome("c", Outcome.STALE, null), outcome("d", Outcome.DEAD_LETTERED, "fetch"),
                outcome("e", Outcome.DEAD_LETTERED, "extract"), outcome("f", Outcome.DEAD_LETTERED, "extract"));
        try (var h = harness(6)) {
            h.open();
            for (DocumentOutcome o : in) {
                h.processElement(o, 1);
            }
            assertThat(h.extractOutputValues()).extracting(TrackOutcomesTest::describe)
                    .containsExactlyElementsOf(in.stream().map(TrackOutcomesTest::describe).collect(Collectors.toList()));
            assertThat(count(OutcomeMetrics.INDEXED.name())).isEqualTo(1);
            assertThat(count(OutcomeMetrics.DELETED.name())).isEqualTo(1);
            assertThat(count(OutcomeMetrics.STALE.name())).isEqualTo(1);
            assertThat(count(OutcomeMetrics.DEAD_LETTERED.name())).isEqualTo(3);
            assertThat(count(OutcomeMetrics.DEAD_LETTERED_PREFIX + "fetch")).isEqualTo(1);
            assertThat(count(OutcomeMetrics.DEAD_LETTERED_PREFIX + "extract")).isEqualTo(2);
            // By error code too (the dashboard's "Dead letters by reason"); a code this release does not know is Other.
            assertThat(count(OutcomeMetrics.DEAD_LETTERED_ERROR_PREFIX + "FetchFailed")).isEqualTo(1);
            assertThat(count(OutcomeMetrics.DEAD_LETTERED_ERROR_PREFIX + "LimitExceeded")).isEqualTo(1);
            assertThat(count(OutcomeMetrics.DEAD_LETTERED_ERROR_PREFIX + "Other")).isEqualTo(1);
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(6);
            assertThat(gauge(OutcomeMetrics.PROGRESS_TOTAL.name())).isEqualTo(6);
            // Accumulators outlive the job: a finished backfill's summary reads them.
            Map<String, Accumulator<?, ?>> totals = h.getEnvironment().getAccumulatorRegistry().getUserMap();
            assertThat(totals.get(OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.INDEXED).getLocalValue()).isEqualTo(1L);
            assertThat(totals.get(OutcomeMetrics.ACCUMULATOR_PREFIX + Outcome.DEAD_LETTERED).getLocalValue()).isEqualTo(3L);
        }
    }

    @Test
    void progressGoesOnFromTheCheckpointAfterARestore() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(5)) {
            h.open();
            h.processElement(outcome("a", Outcome.INDEXED, null), 1);
            h.processElement(outcome("b", Outcome.INDEXED, null), 1);
            state = h.snapshot(1L, 1L);
            // Outcomes after the checkpoint are replayed after the restore, so they must not count twice.
            h.processElement(outcome("c", Outcome.INDEXED, null), 1);
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(3);
        }
        try (var h = harness(5)) {
            h.initializeState(state);
            h.open();
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(2);
            for (String id : List.of("c", "d", "e")) {
                h.processElement(outcome(id, Outcome.INDEXED, null), 1);
            }
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(5);
            assertThat(gauge(OutcomeMetrics.PROGRESS_TOTAL.name())).isEqualTo(5);
        }
    }

    /**
     * A backfill's summary and exit code read the accumulators: after any number of failovers they must still hold
     * every outcome up to the restored checkpoint (fresh accumulators on each restore lost them), and no replayed
     * outcome twice.
     */
    @Test
    void perOutcomeTotalsSurviveFailovers() throws Exception {
        OperatorSubtaskState first;
        try (var h = harness(5)) {
            h.open();
            h.processElement(outcome("a", Outcome.DEAD_LETTERED, "fetch"), 1);
            h.processElement(outcome("b", Outcome.INDEXED, null), 1);
            first = h.snapshot(1L, 1L);
            h.processElement(outcome("c", Outcome.INDEXED, null), 1); // replayed after the restore
        }
        OperatorSubtaskState second;
        try (var h = harness(5)) {
            h.initializeState(first);
            h.open();
            assertThat(totals(h)).containsEntry(Outcome.DEAD_LETTERED, 1L).containsEntry(Outcome.INDEXED, 1L);
            h.processElement(outcome("c", Outcome.INDEXED, null), 1);
            h.processElement(outcome("d", Outcome.STALE, null), 1);
            second = h.snapshot(2L, 2L);
            h.processElement(outcome("e", Outcome.DEAD_LETTERED, "extract"), 1); // replayed after the restore
        }
        try (var h = harness(5)) {
            h.initializeState(second);
            h.open();
            h.processElement(outcome("e", Outcome.DEAD_LETTERED, "extract"), 1);
            assertThat(h.extractOutputValues()).extracting(TrackOutcomesTest::describe).containsExactly("e:dead-lettered:extract");
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(5);
            assertThat(totals(h)).containsEntry(Outcome.INDEXED, 2L).containsEntry(Outcome.DEAD_LETTERED, 2L)
                    .containsEntry(Outcome.STALE, 1L).containsEntry(Outcome.DELETED, 0L);
        }
    }

    /** A savepoint of the previous release holds only {@code done}: it restores, and the totals count on from zero. */
    @Test
    void restoresTheEarlierReleasesStateWhichHeldOnlyDone() throws Exception {
        OperatorSubtaskState old;
        try (var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new EarlierTrackOutcomes(2)))) {
            h.open();
            old = h.snapshot(1L, 1L);
        }
        OperatorSubtaskState upgraded;
        try (var h = harness(4)) {
            h.initializeState(old);
            h.open();
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(2);
            h.processElement(outcome("c", Outcome.DEAD_LETTERED, "fetch"), 1);
            assertThat(totals(h)).containsEntry(Outcome.DEAD_LETTERED, 1L).containsEntry(Outcome.INDEXED, 0L);
            upgraded = h.snapshot(2L, 2L);
        }
        try (var h = harness(4)) {
            h.initializeState(upgraded);
            h.open();
            h.processElement(outcome("d", Outcome.INDEXED, null), 1);
            assertThat(gauge(OutcomeMetrics.PROGRESS_DONE.name())).isEqualTo(4);
            assertThat(totals(h)).containsEntry(Outcome.DEAD_LETTERED, 1L).containsEntry(Outcome.INDEXED, 1L);
        }
    }

    /** TrackOutcomes's state as the previous release wrote it: one list state "outcomes-done" of Longs. */
    private static final class EarlierTrackOutcomes extends ProcessFunction<DocumentOutcome, DocumentOutcome>
            implements CheckpointedFunction {
        private final long done;
        private transient ListState<Long> doneState;

        EarlierTrackOutcomes(long done) {
            this.done = done;
        }

        @Override
        public void initializeState(FunctionInitializationContext context) throws Exception {
            doneState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("outcomes-done", Long.class));
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            doneState.update(List.of(done));
        }

        @Override
        public void processElement(DocumentOutcome o, Context ctx, Collector<DocumentOutcome> out) {
            out.collect(o);
        }
    }

    private static Map<Outcome, Long> totals(OneInputStreamOperatorTestHarness<DocumentOutcome, DocumentOutcome> h) {
        Map<String, Accumulator<?, ?>> accumulators = h.getEnvironment().getAccumulatorRegistry().getUserMap();
        Map<Outcome, Long> totals = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            totals.put(outcome, (Long) accumulators.get(OutcomeMetrics.ACCUMULATOR_PREFIX + outcome).getLocalValue());
        }
        return totals;
    }

    private static String describe(DocumentOutcome o) {
        return o.documentId + ":" + o.outcome + ":" + o.stage;
    }

    private static DocumentOutcome outcome(String documentId, Outcome outcome, String stage) {
        DocumentOutcome o = new DocumentOutcome();
        o.documentId = documentId;
        o.tenant = "acme";
        o.version = 1;
        o.outcome = outcome;
        o.stage = stage;
        // Dead letters: fetch failed, extract over a limit, and one extract code from some other release.
        o.error = stage == null ? null : "fetch".equals(stage) ? "FetchFailed" : "e".equals(documentId) ? "LimitExceeded" : "SomeFutureCode";
        return o;
    }
}
