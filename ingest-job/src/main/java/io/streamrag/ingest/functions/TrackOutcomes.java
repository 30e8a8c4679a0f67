package io.streamrag.ingest.functions;

import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.metrics.OutcomeMetrics;
import io.streamrag.ingest.records.DocumentOutcome;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Logs and counts how every document event ended (indexed, deleted, stale, dead-lettered) and reports progress
 * ({@code done/total}) for bounded runs. Runs with parallelism 1 so done/total is one number; {@code done} and the
 * per-outcome totals are checkpointed, so a restored backfill goes on counting from where its checkpoint was instead of
 * from zero, and its accumulators (the backfill's summary and exit status) still hold the outcomes before the restore.
 */
public class TrackOutcomes extends ProcessFunction<DocumentOutcome, DocumentOutcome> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrackOutcomes.class);

    /** Events the bounded source will deliver, or -1 when unknown (continuous source). */
    private final long expectedTotal;
    private final long logIntervalMs;

    private transient long done;
    private transient ListState<Long> doneState;
    /** Per-outcome totals as (outcome name, count); state of its own so savepoints holding only "outcomes-done" restore. */
    private transient ListState<Tuple2<String, Long>> totalsState;
    private transient Map<Outcome, Long> restoredTotals;
    private transient long lastLog;
    private transient OutcomeMetrics metrics;
    private transient Map<Outcome, LongCounter> totals;

    public TrackOutcomes(long expectedTotal, long logIntervalMs) {
        this.expectedTotal = expectedTotal;
        this.logIntervalMs = logIntervalMs;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new OutcomeMetrics(getRuntimeContext().getMetricGroup(), () -> done, () -> expectedTotal);
        lastLog = System.currentTimeMillis();
        // Accumulators outlive the job (metrics vanish when it finishes): a backfill's summary reads them.
        // A restored attempt's accumulators replace the failed one's: they start from the checkpointed totals.
        totals = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            LongCounter counter = new LongCounter(restoredTotals == null ? 0L : restoredTotals.getOrDefault(outcome, 0L));
            getRuntimeContext().addAccumulator(OutcomeMetrics.ACCUMULATOR_PREFIX + outcome, counter);
            totals.put(outcome, counter);
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        doneState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("outcomes-done", Long.class));
        done = 0;
        for (Long d : doneState.get()) {
            done += d;
        }
        totalsState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("outcomes-totals", Types.TUPLE(Types.STRING, Types.LONG)));
        restoredTotals = new EnumMap<>(Outcome.class);
        long counted = 0;
        for (Tuple2<String, Long> t : totalsState.get()) {
            Outcome outcome = outcomeNamed(t.f0);
            if (outcome != null) {
                restoredTotals.merge(outcome, t.f1, Long::sum);
                counted += t.f1;
            }
        }
        if (context.isRestored() && counted < done) {
            // A savepoint of a release that checkpointed only done: the outcomes before it are not in the totals.
            LOG.warn("Restored {} outcomes done but per-outcome totals for only {}: the run's outcome totals leave out {} "
                    + "(their outcomes are on the outcomes topic)", done, counted, done - counted);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        doneState.update(List.of(done));
        List<Tuple2<String, Long>> snapshot = new ArrayList<>();
        totals.forEach((outcome, counter) -> snapshot.add(Tuple2.of(outcome.name(), counter.getLocalValuePrimitive())));
        totalsState.update(snapshot);
    }

    private static Outcome outcomeNamed(String name) {
        try {
            return Outcome.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null; // an outcome a later release added: not counted by this one
        }
    }

    @Override
    public void processElement(DocumentOutcome o, Context ctx, Collector<DocumentOutcome> out) {
        done++;
        switch (o.outcome) {
            case INDEXED:
                metrics.get(OutcomeMetrics.INDEXED).inc();
                break;
            case DELETED:
                metrics.get(OutcomeMetrics.DELETED).inc();
                break;
            case STALE:
                metrics.get(OutcomeMetrics.STALE).inc();
                break;
            case DEAD_LETTERED:
                metrics.get(OutcomeMetrics.DEAD_LETTERED).inc();
                metrics.deadLetteredAt(o.stage).inc();
                metrics.deadLetteredFor(DocumentError.knownCode(o.error)).inc();
                break;
        }
        totals.get(o.outcome).add(1L);
        LOG.info("Document {}", o);
        long now = System.currentTimeMillis();
        if (expectedTotal > 0 && (now - lastLog >= logIntervalMs || done == expectedTotal)) {
            lastLog = now;
            // The totals, not the metrics: those count this attempt only, done counts on from the checkpoint.
            LOG.info("Progress: {}/{} documents ({} indexed, {} deleted, {} stale, {} dead-lettered)", done, expectedTotal,
                    total(Outcome.INDEXED), total(Outcome.DELETED), total(Outcome.STALE), total(Outcome.DEAD_LETTERED));
        }
        out.collect(o);
    }

    private long total(Outcome outcome) {
        return totals.get(outcome).getLocalValuePrimitive();
    }
}
