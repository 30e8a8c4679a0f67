package io.streamrag.ingest.functions;

import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.metrics.OutcomeMetrics;
import io.streamrag.ingest.records.DocumentOutcome;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Logs and counts how every document event ended (indexed, deleted, stale, dead-lettered) and reports progress
 * ({@code done/total}) for bounded runs. Runs with parallelism 1 so done/total is one number; {@code done} is
 * checkpointed, so a restored backfill goes on counting from where its checkpoint was instead of from zero.
 */
public class TrackOutcomes extends ProcessFunction<DocumentOutcome, DocumentOutcome> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrackOutcomes.class);

    /** Events the bounded source will deliver, or -1 when unknown (continuous source). */
    private final long expectedTotal;
    private final long logIntervalMs;

    private transient long done;
    private transient ListState<Long> doneState;
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
        totals = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            LongCounter counter = new LongCounter();
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
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        doneState.update(List.of(done));
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
                break;
        }
        totals.get(o.outcome).add(1L);
        LOG.info("Document {}", o);
        long now = System.currentTimeMillis();
        if (expectedTotal > 0 && (now - lastLog >= logIntervalMs || done == expectedTotal)) {
            lastLog = now;
            LOG.info("Progress: {}/{} documents ({} indexed, {} deleted, {} stale, {} dead-lettered)", done, expectedTotal,
                    metrics.get(OutcomeMetrics.INDEXED).getCount(), metrics.get(OutcomeMetrics.DELETED).getCount(), metrics.get(OutcomeMetrics.STALE).getCount(), metrics.get(OutcomeMetrics.DEAD_LETTERED).getCount());
        }
        out.collect(o);
    }
}
