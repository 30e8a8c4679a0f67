package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions.QuarantineMode;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.metrics.QuarantineMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Poison quarantine, keyed by document: a document whose processing makes the task fail (OOM, native crash,
 * anything) is recognised when the job replays it and, after {@code maxAttempts} failed attempts, dead-lettered as
 * {@code PoisonDocument} instead of crash-looping the job.
 *
 * <p>How: Flink rolls state back on a failure, so an attempt marker only survives if a completed checkpoint holds
 * it before the attempt starts. A <em>gated</em> document therefore waits here, in keyed state, until a checkpoint
 * marks it "releasing" with its attempt number; it is released downstream when that checkpoint completes
 * ({@link #notifyCheckpointComplete}) and its entry is cleared. A restore finds the entries marked releasing at the
 * restored checkpoint: released after it and before the failure, so each counts as a failed attempt and becomes a
 * suspect. Suspects are then released one at a time, each alone (every other document waits meanwhile) and the next
 * only after a checkpoint taken after the previous one's release has completed, so a later failure blames exactly
 * the one document in flight.
 *
 * <p>Which documents are gated ({@link QuarantineMode#OPTIMISTIC}, the default): in normal running none — they pass
 * straight through, at no latency. After a restore (a failover — also one before the first checkpoint completed, when
 * the task is a re-attempt without state — or a start from a savepoint or retained checkpoint)
 * the source replays everything after the restored checkpoint, so a document that crashed the task in pass-through
 * arrives again: every document stamped (its record timestamp, the Kafka record's) before the restore, or without a
 * stamp, is gated; so is everything while suspects are being retried, and a document whose key still has gated
 * documents (order per document). Documents produced after the restore pass through again, unless stamped more than
 * a minute ahead of the TaskManager's clock (gated too). The attempt a poison
 * document makes in pass-through is not counted (nothing survives it), so it is dead-lettered after at most
 * {@code maxAttempts + 1} failures, {@code maxAttempts} if it was gated from the start. A producer whose clock runs
 * ahead of the TaskManager's by more than the failure-to-restore time, but less than a minute, can make a replay look
 * new: it then passes and costs one failure more each time, until the restores catch up with its timestamp.
 * {@link QuarantineMode#ALWAYS_GATE} gates every document: detection within {@code maxAttempts} failures, at up to
 * one checkpoint interval of latency per document.
 */
public class Quarantine extends AbstractStreamOperator<DocumentTask> implements OneInputStreamOperator<DocumentTask, DocumentTask> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);
    private static final String STATE = "quarantine";
    /** How far ahead of this TaskManager's clock a record's stamp may be and still count as new after a restore. */
    static final long FUTURE_TOLERANCE_MS = 60_000;

    /** A held document, the attempt it will be released as, and whether a checkpoint marked it for release. */
    public static class Entry {
        public DocumentTask task;
        public int attempt;
        /** It was in flight when the job failed: released alone. */
        public boolean suspect;
        /** A checkpoint marked it: it is released when that checkpoint completes. */
        public boolean releasing;

        public Entry() {}

        Entry(DocumentTask task, int attempt, boolean suspect) {
            this.task = task;
            this.attempt = attempt;
            this.suspect = suspect;
        }
    }

    private final int maxAttempts;
    private final boolean alwaysGate;

    private transient ListState<Entry> held;
    /** Keys with held documents → id of the first checkpoint that holds them (-1: none yet). Rebuilt on restore. */
    private transient Map<Object, Long> waiting;
    /** Keys holding suspects. */
    private transient Set<Object> suspects;
    /**
     * -1: no suspect in flight; otherwise a suspect was released and the id of the checkpoint that confirms it
     * (Long.MAX_VALUE until the next snapshot).
     */
    private transient long suspectInFlight;
    /** Entries found on restore, dealt with once the operator is open. */
    private transient List<Object> restoredKeys;
    /** This task started from a checkpoint or savepoint, or is a re-attempt: the source replays what came after it. */
    private transient boolean restored;
    /** Processing time of that restore: a document stamped before it may have been in flight at the failure. */
    private transient long restoredAt;
    private transient QuarantineMetrics metrics;

    public Quarantine(int maxAttempts, QuarantineMode mode) {
        this.maxAttempts = Math.max(1, maxAttempts);
        this.alwaysGate = mode == QuarantineMode.ALWAYS_GATE;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        held = getPartitionedState(new ListStateDescriptor<>(STATE, TypeInformation.of(Entry.class)));
        waiting = new LinkedHashMap<>();
        suspects = new LinkedHashSet<>();
        suspectInFlight = -1;
        restoredKeys = new ArrayList<>();
        // A re-attempt without restored state (the job failed before its first checkpoint completed) replays from the
        // source's start: that is a restore too, or a poison at the head of the stream would crash-loop the job.
        restored = context.isRestored() || getRuntimeContext().getTaskInfo().getAttemptNumber() > 0;
        if (context.isRestored()) {
            try (Stream<Object> keys = getKeyedStateBackend().getKeys(STATE, VoidNamespace.INSTANCE)) {
                restoredKeys.addAll(keys.collect(Collectors.toList()));
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        metrics = new QuarantineMetrics(getMetricGroup(), waiting::size);
        restoredAt = getProcessingTimeService().getCurrentProcessingTime();
        // Documents marked releasing at the restored checkpoint were released after it: the failure struck during their attempt.
        for (Object key : restoredKeys) {
            setCurrentKey(key);
            List<Entry> kept = new ArrayList<>();
            for (Entry e : held.get()) {
                if (!e.releasing) {
                    kept.add(e);
                } else if (e.attempt >= maxAttempts) {
                    metrics.get(QuarantineMetrics.POISONED).inc();
                    LOG.warn("Quarantining {}: the job failed during each of its {} attempts", e.task, e.attempt);
                    output.collect(DeadLetters.TAG, new StreamRecord<>(DeadLetters.of(e.task, Stage.QUARANTINE, DocumentError.POISON_DOCUMENT,
                            "Processing failed the job during each of " + e.attempt + " attempts (ingest.quarantine.max-attempts=" + maxAttempts + ")")));
                } else {
                    metrics.get(QuarantineMetrics.RETRIED).inc();
                    LOG.warn("{} was in flight when the job failed (attempt {}); retrying it alone", e.task, e.attempt);
                    kept.add(new Entry(e.task, e.attempt + 1, true));
                }
            }
            held.update(kept);
            if (!kept.isEmpty()) {
                waiting.put(key, -1L);
            }
            if (kept.stream().anyMatch(e -> e.suspect)) {
                suspects.add(key);
            }
        }
        restoredKeys.clear();
        if (restored && !alwaysGate) {
            LOG.info("Restored: documents stamped before {} (or unstamped) wait for a checkpoint; {} document keys held",
                    java.time.Instant.ofEpochMilli(restoredAt), waiting.size());
        }
    }

    @Override
    public void processElement(StreamRecord<DocumentTask> element) throws Exception {
        Object key = getCurrentKey();
        if (alwaysGate || mayBeReplay(element) || retryingSuspects() || waiting.containsKey(key)) {
            held.add(new Entry(element.getValue(), 1, false));
            waiting.putIfAbsent(key, -1L);
        } else {
            metrics.get(QuarantineMetrics.PASSED).inc();
            output.collect(element);
        }
    }

    /**
     * Stamped before the restore (or not stamped at all, after one): it may have been in flight at the failure. So may
     * one stamped more than {@link #FUTURE_TOLERANCE_MS} ahead of this TaskManager's clock: the broker takes stamps up
     * to an hour ahead ({@code log.message.timestamp.after.max.ms}), and such a poison passed as new after each restore.
     */
    private boolean mayBeReplay(StreamRecord<DocumentTask> element) {
        if (!restored) {
            return false;
        }
        if (!element.hasTimestamp()) {
            return true;
        }
        long stamp = element.getTimestamp();
        return stamp < restoredAt || stamp > getProcessingTimeService().getCurrentProcessingTime() + FUTURE_TOLERANCE_MS;
    }

    /** Suspects are released alone: nothing else may be in flight until the last one is confirmed. */
    private boolean retryingSuspects() {
        return !suspects.isEmpty() || suspectInFlight != -1;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        long id = context.getCheckpointId();
        if (suspectInFlight == Long.MAX_VALUE) {
            suspectInFlight = id; // this checkpoint comes after the suspect's release: its completion confirms it
        }
        // Mark what this checkpoint releases (before the state is snapshotted, so the marks are in it): normally
        // everything waiting; while there are suspects, only one suspect at a time and nothing else.
        List<Object> marked = new ArrayList<>();
        if (suspects.isEmpty()) {
            waiting.forEach((key, checkpoint) -> {
                if (checkpoint < 0) {
                    marked.add(key);
                }
            });
        } else if (suspectInFlight == -1 && waiting.values().stream().noneMatch(c -> c >= 0)) {
            marked.add(suspects.iterator().next());
        }
        for (Object key : marked) {
            setCurrentKey(key);
            List<Entry> entries = new ArrayList<>();
            held.get().forEach(entries::add);
            entries.forEach(e -> e.releasing = true);
            held.update(entries);
            waiting.put(key, id);
        }
        super.snapshotState(context);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (suspectInFlight != -1 && suspectInFlight != Long.MAX_VALUE && checkpointId >= suspectInFlight) {
            suspectInFlight = -1;
        }
        List<Object> release = new ArrayList<>();
        waiting.forEach((key, checkpoint) -> {
            if (checkpoint >= 0 && checkpoint <= checkpointId) {
                release.add(key);
            }
        });
        for (Object key : release) {
            setCurrentKey(key);
            List<Entry> rest = new ArrayList<>();
            for (Entry e : held.get()) {
                if (e.releasing) {
                    output.collect(new StreamRecord<>(e.task));
                    if (e.suspect) {
                        suspectInFlight = Long.MAX_VALUE;
                    }
                } else {
                    rest.add(e);
                }
            }
            held.update(rest);
            if (rest.isEmpty()) {
                waiting.remove(key);
            } else {
                waiting.put(key, -1L);
            }
            if (rest.stream().noneMatch(e -> e.suspect)) {
                suspects.remove(key);
            }
        }
    }

    @Override
    public void finish() throws Exception {
        // End of a bounded input: no checkpoint follows, so nothing more can fail unnoticed — release what is held.
        for (Object key : new ArrayList<>(waiting.keySet())) {
            setCurrentKey(key);
            for (Entry e : held.get()) {
                output.collect(new StreamRecord<>(e.task));
            }
            held.clear();
        }
        waiting.clear();
        suspects.clear();
        super.finish();
    }
}
