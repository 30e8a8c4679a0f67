package io.streamrag.ingest.functions;

import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.metrics.VersionGateMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Keyed by tenant and documentId ({@link DocumentTask#key}): keeps the latest version seen per document and drops events older than it (stale), so
 * every later stage sees each document's versions in increasing order. With empty state it takes the document's
 * indexed version that {@link VersionLookup} found (after a state loss or a fresh job over an existing index), if the
 * lookup is on.
 *
 * <p>Equal versions pass (a replay, or an unversioned DELETE, which takes the current version). So that a later stage
 * whose items a rescale may reorder ({@link AssembleDocument}) can still tell which of two equal-version events came
 * last, every event passed gets the document's next {@link DocumentTask#sequence} (1, 2, ...), counted in keyed state
 * next to the version and forgotten with it after {@link #stateTtl}. A document the state does not know (new, forgotten,
 * or restored from a release without the counter) starts again at 1; events that passed an earlier release's gate have
 * sequence 0 (unknown).
 */
public class VersionGate extends KeyedProcessFunction<String, DocumentTask, DocumentTask> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(VersionGate.class);

    /** How long a document's version is kept after its last event; null keeps it forever. */
    private Duration stateTtl;

    private transient ValueState<Long> latest;
    /** The last {@link DocumentTask#sequence} given to one of the document's events. */
    private transient ValueState<Long> sequence;
    private transient VersionGateMetrics metrics;

    /** Expires a document's remembered version {@code ttl} after its last event (zero or null: never). */
    public VersionGate stateTtl(Duration ttl) {
        this.stateTtl = ttl;
        return this;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("latest-version", Types.LONG);
        // Written together with the version, under the same TTL: both are forgotten together.
        ValueStateDescriptor<Long> sequenceDescriptor = new ValueStateDescriptor<>("latest-sequence", Types.LONG);
        if (stateTtl != null && !stateTtl.isZero()) {
            // Bounded state: a version not touched for the TTL is dropped (then the index lookup answers, if enabled).
            StateTtlConfig ttl = StateTtlConfig.newBuilder(stateTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build();
            descriptor.enableTimeToLive(ttl);
            sequenceDescriptor.enableTimeToLive(ttl);
        }
        latest = getRuntimeContext().getState(descriptor);
        sequence = getRuntimeContext().getState(sequenceDescriptor);
        metrics = new VersionGateMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(DocumentTask task, Context ctx, Collector<DocumentTask> out) throws Exception {
        Long seen = latest.value();
        boolean known = seen != null;
        if (seen == null) {
            // What VersionLookup found in the index (nothing known when the lookup is off or was refused).
            seen = task.previousVersion;
            known = task.previousVersionKnown;
        }
        if (task.isDelete() && task.versionDefaulted) {
            // An unversioned DELETE applies to whatever is there and does not move the version on.
            task.version = seen == null ? 0 : seen;
        }
        if (seen != null && task.version < seen) {
            metrics.get(VersionGateMetrics.STALE).inc();
            LOG.info("Ignoring stale {}: version {} is older than {}", task, task.version, seen);
            DocumentOutcome o = DocumentOutcome.of(task, Outcome.STALE);
            o.message = "version " + task.version + " < " + seen;
            ctx.output(DeadLetters.OUTCOMES, o);
            return;
        }
        latest.update(seen == null ? task.version : Math.max(seen, task.version));
        // Never below the clock: a count started again (its state expired with the version, or restored from a release
        // before it) still comes after every number handed out earlier, which the assembler may still remember.
        Long last = sequence.value();
        task.sequence = Math.max(last == null ? 1 : last + 1, ctx.timerService().currentProcessingTime());
        sequence.update(task.sequence);
        task.previousVersion = seen;
        task.previousVersionKnown = known;
        metrics.get(VersionGateMetrics.PASSED).inc();
        out.collect(task);
    }
}
