package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions.QuarantineMode;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.health.DependencyHealth;
import io.streamrag.ingest.metrics.QuarantineMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.CheckpointOptions;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.state.CheckpointStreamFactory;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OperatorSnapshotFutures;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * ({@link #notifyCheckpointComplete}) and its entry is cleared. A checkpoint marks at most {@code releaseLimit}
 * entries (in arrival order, per document and overall; the rest wait for the next ones), so one completion notice
 * runs the fetch/extract/OCR chain behind it for a bounded number of documents, not for a whole backlog (which once
 * outlasted the checkpoint timeout, failed the job and made all of it suspects). A restore finds the
 * entries marked releasing at the restored checkpoint: released after it and before the failure, so they become
 * suspects.
 *
 * <p>Suspects are bisected: released in groups, every other document waiting meanwhile, each group only after a
 * checkpoint taken after the previous group's release has completed (which confirms that group). The suspects of a
 * failed release form a pool; a pool that failed as a whole releases half of itself at a time (a confirmed half is
 * clean, a half that fails again becomes the next, deeper pool) and the pool left behind when its half failed is
 * tried whole next. The deepest pool goes first. So N suspects with one poison among them cost about log2(N)
 * failures and up to 2·log2(N) checkpoints, and about log2(N) checkpoints when the failure had nothing to do with
 * them (one at a time it was 2·N). A failure counts as an attempt of a document when it struck its first release
 * (shared with the documents released with it, as before) or its release alone; a group failure only narrows the
 * search. A document whose attempts reach {@code maxAttempts} is dead-lettered by a failure that struck it released
 * alone (a failure shared with other documents cannot tell whose it was; with the default of 2 attempts that was
 * already so, with 1 it dead-lettered everything released with a poison document).
 *
 * <p>Several subtasks: a failure is the job's, so "alone" means alone in the job. Each snapshot also records, in union
 * operator state ({@link Release}), how many entries the subtask marked, whether documents may pass through it
 * unchecked before the next checkpoint completes, and how many checkpoints it would need after a failure to release
 * its suspects;
 * a restore reads every subtask's. A release is alone when it is the only entry marked in the job and no other
 * subtask was letting documents through (subtask A once dead-lettered an innocent document it released alone while
 * subtask B's half with the poison failed the job). For a poison to be released alone at all, the subtasks then take
 * turns (at parallelism above 1): after a restore, in subtask order, each subtask with suspects gets the checkpoints it
 * needs to release them if none fails, counted from the first checkpoint taken after the restore, while every other
 * subtask holds everything (marks nothing, gates every document), and one checkpoint more in which all hold, so the
 * last release is confirmed before anything passes unchecked; once the turns are over all release as before. So a
 * poison is found within its own subtask's bisection, as at parallelism 1, whatever the others hold; turns cost the
 * other subtasks' documents that many checkpoints of latency. Checkpoints aborted or without a notice during the
 * turns, a dependency outage, or a rescale (indices change: no turns) can leave suspects for after the turns: they
 * are then released while other subtasks release too, which convicts nobody, and the next failure's restore has turns
 * again. State from before these records (an old savepoint) restores with no turns and "alone" per subtask, as before.
 *
 * <p>Which documents are gated ({@link QuarantineMode#OPTIMISTIC}, the default): in normal running none — they pass
 * straight through, at no latency. After a restore (a failover — also one before the first checkpoint completed, when
 * the task is a re-attempt without state — or a start from a savepoint or retained checkpoint)
 * the source replays everything after the restored checkpoint, so a document that crashed the task in pass-through
 * arrives again: every document stamped (its record timestamp, the Kafka record's) before the restore, or without a
 * stamp, is gated; so is everything while suspects are being retried, and a document whose key still has gated
 * documents (order per document). Documents produced after the restore pass through again, unless stamped more than
 * a minute ahead of the TaskManager's clock (gated too). A start from the savepoint of a stop (an upgrade, a rescale,
 * {@code bin/rag down}/{@code up}) is no such restore: that savepoint marks nothing and its notice releases nothing, so
 * nothing ran after it, and what producers sent while the job was stopped passes (it was held as a possible replay);
 * a re-attempt after such a start is a restore as any other. The attempt a poison
 * document makes in pass-through is not counted (nothing survives it), so it is dead-lettered after at most
 * {@code maxAttempts + 1} failures (plus the group failures that narrowed it down), {@code maxAttempts} if it was
 * gated from the start. A producer whose clock runs
 * ahead of the TaskManager's by more than the failure-to-restore time, but less than a minute, can make a replay look
 * new: it then passes and costs one failure more each time, until the restores catch up with its timestamp.
 * {@link QuarantineMode#ALWAYS_GATE} gates every document: detection within {@code maxAttempts} failures, at up to
 * one checkpoint interval of latency per document.
 *
 * <p>Dependency outages: OpenSearch or a remote embedding endpoint down for longer than the operators' retry budget
 * fails the job on purpose, and the failure's cause does not survive the restore, so without more the documents in
 * flight take the blame (with the defaults an outage of about 90 minutes dead-lettered innocent documents as poison).
 * So the quarantine asks {@link DependencyHealth} (a probe on its own thread, asking only while documents are held):
 * while a dependency does not answer, a checkpoint marks nothing — no attempt starts, so none can be counted — and the
 * held documents are released once it answers again. A restore probes before it counts: if a dependency is down then,
 * the failure is taken for the outage's (the operators fail the job only after waiting one out for their budget) and
 * the releases it struck are undone — attempt, pool and halving as they were at the restored checkpoint, which holds
 * them — neither counted nor narrowing the search. A poison that kills the task while everything answers is counted
 * as before; one that kills it during an outage is counted when it is released again after it. Left: an outage
 * that ends between a failure and the restore's probe has that failure counted, as before, at most once per outage.
 *
 * <p>Back-pressure: while {@code releaseLimit} or more entries are held, a gated document waits (yielding to the
 * mailbox, at most {@link #NOTICE_WAIT_MS}: notices are best-effort) for the completion or abort notice of a
 * checkpoint already taken (not an intermediate savepoint: those get none). It cannot wait at any other time: the
 * next checkpoint's barrier is behind the very records it would refuse, and only a completed checkpoint can release
 * anything, so waiting then would stall until the checkpoint timeout. Between a notice and the next barrier it takes
 * in what arrives, so a source that outruns the releases still grows the held entries by what it delivers then.
 */
public class Quarantine extends AbstractStreamOperator<DocumentTask> implements OneInputStreamOperator<DocumentTask, DocumentTask> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);
    private static final String STATE = "quarantine";
    private static final String RELEASES = "quarantine-releases";
    /** How far ahead of this TaskManager's clock a record's stamp may be and still count as new after a restore. */
    static final long FUTURE_TOLERANCE_MS = 60_000;
    /**
     * Entries released per completed checkpoint, at most: the release runs the chained fetch/extract/OCR in the
     * completion notice, which must end well within the checkpoint timeout; 128 is above the documents a subtask
     * processed per 10 s checkpoint interval in the benchmarks, and bisects in 7 steps.
     */
    public static final int RELEASE_LIMIT = 128;
    /**
     * Failures of a document's releases forgiven because a dependency was down at the restore, at most; then they
     * count again. A document that itself brings its dependency down (it crashes a self-hosted embedding server, or
     * the OpenSearch node) always finds it down at the restore: forgiven for good, it failed the job over forever.
     * An innocent document is forgiven once per outage that starts while it is in flight, so three are rare.
     */
    static final int MAX_REFUNDS = 3;
    /** Longest wait for one checkpoint's notice (they are best-effort): then the input is taken again. */
    static final long NOTICE_WAIT_MS = 60_000;

    /** A held document, the attempt it will be released as, and whether a checkpoint marked it for release. */
    public static class Entry {
        public DocumentTask task;
        public int attempt;
        /** It was in flight when the job failed: released only with suspects of its pool. */
        public boolean suspect;
        /** A checkpoint marked it: it is released when that checkpoint completes. */
        public boolean releasing;
        /** A suspect's pool: one more than the pool it was in when a release of it failed; the deepest goes first. */
        public int level;
        /** Its pool failed as a whole: released half at a time. Otherwise (its half's sibling failed) whole. */
        public boolean poolFailed;
        /** Failures of its releases not counted because a dependency was down at the restore (see {@link #MAX_REFUNDS}). */
        public int refunds;

        public Entry() {}

        Entry(DocumentTask task, int attempt, boolean suspect) {
            this.task = task;
            this.attempt = attempt;
            this.suspect = suspect;
        }
    }

    /**
     * What one subtask's snapshot marked, kept in union operator state: a restore reads every subtask's, so it sees
     * the releases of the whole job at the restored checkpoint (a job failure is job-wide).
     */
    public static class Release {
        public long checkpointId;
        public int subtask;
        public int parallelism;
        /** Entries marked releasing in the snapshot: released after it, so in flight at a failure restored from it. */
        public int released;
        /** Checkpoints the subtask needs, after a failure restored from the snapshot, to release its suspects (0: none). */
        public int turn;
        /** Documents may pass through it unchecked before the next checkpoint completes (optimistic, out of the turns). */
        public boolean open;
        /** The snapshot is a stop-with-savepoint's: the job ended with it, so a restore from it replays nothing. */
        public boolean stopped;

        public Release() {}

        Release(long checkpointId, int subtask, int parallelism, int released, int turn, boolean open, boolean stopped) {
            this.checkpointId = checkpointId;
            this.subtask = subtask;
            this.parallelism = parallelism;
            this.released = released;
            this.turn = turn;
            this.open = open;
            this.stopped = stopped;
        }
    }

    /** Suspects of one level: keys in order, each with how many of its first held entries belong here. */
    private static final class Pool {
        final LinkedHashMap<Object, Integer> keys = new LinkedHashMap<>();
        boolean failed;
        int size;

        void add(Object key, int n) {
            keys.merge(key, n, Integer::sum);
            size += n;
        }

        void remove(Object key, int n) {
            keys.computeIfPresent(key, (k, c) -> c > n ? c - n : null);
            size -= n;
        }
    }

    private final int maxAttempts;
    private final boolean alwaysGate;
    private final int releaseLimit;
    private final DependencyHealth.Factory dependencies;

    private transient ListState<Entry> held;
    /** Keys with held documents → id of the checkpoint that marked some of them (-1: none). Rebuilt on restore. */
    private transient Map<Object, Long> waiting;
    /** Suspect pools by level. */
    private transient TreeMap<Integer, Pool> pools;
    /** This subtask's {@link Release} of the last snapshot (union state), and every subtask's found on restore. */
    private transient ListState<Release> releases;
    private transient List<Release> restoredReleases;
    /**
     * The turns after a restore (parallelism above 1): checkpoints, counted from the first one taken after it, in which
     * one subtask after the other releases its suspects while every other holds everything (0: no turns). This
     * subtask's turn is [turnFrom, turnTo) of them.
     */
    private transient int turns;
    private transient int turnFrom;
    private transient int turnTo;
    /** Id of the first checkpoint taken after the restore (-1: none yet), and of the last one taken (-1: none). */
    private transient long turnsStart;
    private transient long lastCheckpoint;
    /** Held entries, and those of them marked releasing. */
    private transient int heldCount;
    private transient int markedCount;
    /** Id of the last checkpoint taken whose completion or abort notice has not arrived yet (-1: none). */
    private transient long awaitedNotice;
    /**
     * -1: no suspect in flight; otherwise suspects were released and the id of the checkpoint that confirms them
     * (Long.MAX_VALUE until the next snapshot).
     */
    private transient long suspectInFlight;
    /** Entries found on restore, dealt with once the operator is open. */
    private transient List<Object> restoredKeys;
    /** This task started from a checkpoint or savepoint, or is a re-attempt: the source replays what came after it. */
    private transient boolean restored;
    /**
     * Restored from a stop-with-savepoint (every subtask's snapshot says so): nothing ran after it, so nothing is a
     * replay and no release failed; documents the source sends are new however old their stamps.
     */
    private transient boolean fromStop;
    /** Id of the stop-with-savepoint being taken (-1: none): it marks nothing, and its notice releases nothing. */
    private transient long stopSavepoint;
    /** Processing time of that restore: a document stamped before it may have been in flight at the failure. */
    private transient long restoredAt;
    private transient MailboxExecutor mailbox;
    private transient QuarantineMetrics metrics;
    /** Asked only by a task that can hold documents (restored, or always-gate); otherwise {@link DependencyHealth#UP}. */
    private transient DependencyHealth health;
    /** What did not answer when held documents were last kept from release (null: nothing held for an outage). */
    private transient String heldFor;

    /** Without a dependency probe: every failure counts. */
    public Quarantine(int maxAttempts, QuarantineMode mode) {
        this(maxAttempts, mode, DependencyHealth.alwaysUp());
    }

    /** {@code dependencies}: e.g. {@code ProbeSettings}, built into a probe in {@code open()}. */
    public Quarantine(int maxAttempts, QuarantineMode mode, DependencyHealth.Factory dependencies) {
        this(maxAttempts, mode, RELEASE_LIMIT, dependencies);
    }

    public Quarantine(int maxAttempts, QuarantineMode mode, int releaseLimit, DependencyHealth.Factory dependencies) {
        this.maxAttempts = Math.max(1, maxAttempts);
        this.alwaysGate = mode == QuarantineMode.ALWAYS_GATE;
        this.releaseLimit = Math.max(1, releaseLimit);
        this.dependencies = dependencies;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        held = getPartitionedState(new ListStateDescriptor<>(STATE, TypeInformation.of(Entry.class)));
        // Empty when restored from a savepoint taken before this state existed: then "alone" is decided per subtask.
        releases = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(RELEASES, TypeInformation.of(Release.class)));
        restoredReleases = new ArrayList<>();
        if (context.isRestored()) {
            releases.get().forEach(restoredReleases::add);
        }
        turns = 0;
        turnFrom = 0;
        turnTo = 0;
        turnsStart = -1;
        lastCheckpoint = -1;
        waiting = new LinkedHashMap<>();
        pools = new TreeMap<>();
        heldCount = 0;
        markedCount = 0;
        awaitedNotice = -1;
        suspectInFlight = -1;
        restoredKeys = new ArrayList<>();
        stopSavepoint = -1;
        // A planned stop, upgrade or rescale: what the producers sent meanwhile was stamped before the restore, and was
        // held as a possible replay, released 128 documents per checkpoint per subtask. A re-attempt after it is not.
        fromStop = context.isRestored() && !restoredReleases.isEmpty() && restoredReleases.stream().allMatch(r -> r.stopped);
        // A re-attempt without restored state (the job failed before its first checkpoint completed) replays from the
        // source's start: that is a restore too, or a poison at the head of the stream would crash-loop the job.
        restored = (context.isRestored() && !fromStop) || getRuntimeContext().getTaskInfo().getAttemptNumber() > 0;
        if (context.isRestored()) {
            try (Stream<Object> keys = getKeyedStateBackend().getKeys(STATE, VoidNamespace.INSTANCE)) {
                restoredKeys.addAll(keys.collect(Collectors.toList()));
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        // The operator's own priority: yield() then runs checkpoint notices and chained operators' mails, never a
        // checkpoint (the barrier is behind the record being processed).
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
        metrics = new QuarantineMetrics(getMetricGroup(), waiting::size, () -> pools.values().stream().mapToInt(p -> p.size).sum(),
                () -> heldFor == null ? 0 : waiting.size());
        restoredAt = getProcessingTimeService().getCurrentProcessingTime();
        // Only a task that can hold documents probes; in optimistic running nothing is held until a restore.
        health = restored || alwaysGate ? dependencies.open() : DependencyHealth.UP;
        String down = health.checkNow();
        restoreSuspects(down);
        hold(down);
        health.watch(!waiting.isEmpty());
        if (restored && !alwaysGate) {
            LOG.info("Restored: documents stamped before {} (or unstamped) wait for a checkpoint; {} document keys held",
                    java.time.Instant.ofEpochMilli(restoredAt), waiting.size());
        }
    }

    /**
     * Documents marked releasing at the restored checkpoint were released after it: the failure struck while they
     * were in flight. First releases and lone suspects count an attempt; a failed group of suspects forms a deeper pool.
     * Unless a dependency is {@code down} now: then the failure is the outage's and the release is undone.
     */
    private void restoreSuspects(String down) throws Exception {
        int failedRelease = 0;
        int failedLevel = -1; // level of the suspects whose group release failed (-1: a first release, or none)
        int maxLevel = 0;
        boolean refundsLeft = true;
        for (Object key : restoredKeys) {
            setCurrentKey(key);
            for (Entry e : held.get()) {
                if (e.suspect) {
                    maxLevel = Math.max(maxLevel, e.level);
                }
                if (e.releasing) {
                    refundsLeft &= e.refunds < MAX_REFUNDS;
                    failedRelease++;
                    if (e.suspect) {
                        failedLevel = Math.max(failedLevel, e.level);
                    }
                }
            }
        }
        int level = maxLevel + 1;
        // Alone in the whole job: any subtask's release (or pass-through) may have been what failed it. Without the
        // subtasks' releases (a savepoint from before they were kept) as before: alone on this subtask.
        int jobRelease = restoredReleases.isEmpty() ? failedRelease : restoredReleases.stream().mapToInt(r -> r.released).sum();
        boolean othersOpen = restoredReleases.stream().anyMatch(r -> r.released == 0 && r.open);
        boolean alone = failedRelease == 1 && jobRelease == 1 && !othersOpen;
        if (!fromStop) {
            planTurns();
        }
        // A dependency down now: the failure is taken for the outage's, unless a document released has had its share.
        boolean refund = down != null && refundsLeft;
        for (Object key : restoredKeys) {
            setCurrentKey(key);
            List<Entry> kept = new ArrayList<>();
            for (Entry e : held.get()) {
                if (e.releasing && fromStop) {
                    e.releasing = false; // the stop's notice released nothing: no attempt started, marked again
                    kept.add(e);
                } else if (e.releasing && refund) {
                    e.releasing = false; // attempt, pool and halving as before this release: marked again once it answers
                    e.refunds++;
                    kept.add(e);
                } else if (e.releasing) {
                    boolean counts = !e.suspect || alone;
                    // Only a failure that struck it alone convicts: with max-attempts=1 a first release shared with
                    // other documents (another tenant's, say) would otherwise dead-letter them all.
                    if (counts && alone && e.attempt >= maxAttempts) {
                        metrics.get(QuarantineMetrics.POISONED).inc();
                        LOG.warn("Quarantining {}: the job failed during each of its {} attempts", e.task, e.attempt);
                        output.collect(DeadLetters.TAG, new StreamRecord<>(DeadLetters.of(e.task, Stage.QUARANTINE, DocumentError.POISON_DOCUMENT,
                                "Processing failed the job during each of " + e.attempt + " attempts (ingest.quarantine.max-attempts=" + maxAttempts + ")")));
                        continue;
                    }
                    metrics.get(QuarantineMetrics.RETRIED).inc();
                    Entry suspect = new Entry(e.task, counts ? e.attempt + 1 : e.attempt, true);
                    suspect.refunds = e.refunds;
                    suspect.level = level;
                    suspect.poolFailed = true;
                    kept.add(suspect);
                } else {
                    if (!refund && e.suspect && e.level == failedLevel) {
                        e.poolFailed = false; // its pool's failed half explains the failure: tried whole next
                    }
                    kept.add(e);
                }
            }
            held.update(kept);
            heldCount += kept.size();
            if (!kept.isEmpty()) {
                waiting.put(key, -1L);
            }
            for (Entry e : kept) {
                if (e.suspect) {
                    Pool pool = pools.computeIfAbsent(e.level, l -> new Pool());
                    pool.failed = e.poolFailed;
                    pool.add(key, 1);
                }
            }
        }
        restoredKeys.clear();
        if (fromStop) {
            if (heldCount > 0) {
                LOG.info("Restored from a stop-with-savepoint: {} held documents are released by the next checkpoints", heldCount);
            }
            return;
        }
        if (failedRelease > 0 && down != null && !refund) {
            LOG.warn("{} documents were in flight when the job failed while a dependency does not answer ({}), but one of them was "
                    + "forgiven {} such failures already: counted, as if it answered", failedRelease, down, MAX_REFUNDS);
        }
        if (failedRelease > 0 && refund) {
            metrics.get(QuarantineMetrics.OUTAGE_REFUNDED).inc(failedRelease);
            LOG.warn("{} documents were in flight when the job failed, and a dependency does not answer ({}): the failure is taken "
                    + "for the outage's, not counted as their attempt; they are held until it answers", failedRelease, down);
        } else if (failedRelease > 0) {
            LOG.warn("{} documents were in flight here when the job failed ({} in the job{}); {} suspects in {} pools are retried in halves",
                    failedRelease, jobRelease, othersOpen ? ", and a subtask let documents through" : "",
                    pools.values().stream().mapToInt(p -> p.size).sum(), pools.size());
        }
        if (turns > 0) {
            LOG.info("Suspects are retried subtask by subtask for {} checkpoints, every other subtask holding everything: this one's "
                    + "turn is checkpoints {} to {} of them", turns, turnFrom, turnTo - 1);
        }
    }

    /**
     * Turns, from the subtasks' releases at the restored checkpoint: each subtask that has suspects after the failure
     * gets as many checkpoints as it needs to release them if none fails, in subtask order, and holds everything
     * outside its turn; so does every other subtask until the turns are over. A release in a turn is then the only
     * one of the job, and a suspect released alone can be convicted. Every subtask computes the same turns from the
     * same union state. None at parallelism 1 (nothing else can release), and none after a rescale (the releases
     * are of other subtasks): then suspects are retried on every subtask at once, convicting nobody until the next
     * failure, whose restore has turns again.
     */
    private void planTurns() {
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        List<Release> all = new ArrayList<>(restoredReleases);
        all.sort(Comparator.comparingInt(r -> r.subtask));
        boolean sameSubtasks = parallelism > 1 && all.size() == parallelism;
        for (int i = 0; sameSubtasks && i < all.size(); i++) {
            sameSubtasks = all.get(i).subtask == i && all.get(i).parallelism == parallelism;
        }
        if (!sameSubtasks) {
            return;
        }
        for (Release r : all) {
            if (r.subtask == subtask) {
                turnFrom = turns;
                turnTo = turns + r.turn;
            }
            turns += r.turn;
        }
        if (turns > 0) {
            // One more checkpoint in which every subtask holds everything: the last turn's release must be confirmed
            // before any subtask lets a document through, or a poison passing there would be blamed on that release.
            turns++;
        }
    }

    /** Taking turns, and the last checkpoint taken was within them: hold everything, release only in its own turn. */
    private boolean inTurns() {
        return turns > 0 && (turnsStart < 0 || lastCheckpoint - turnsStart < turns);
    }

    @Override
    public void processElement(StreamRecord<DocumentTask> element) throws Exception {
        Object key = getCurrentKey();
        // Back-pressure, only while a notice is due: see the class comment for why never otherwise.
        long deadline = -1;
        while (heldCount >= releaseLimit && awaitedNotice != -1 && gated(element, key)) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            if (deadline < 0) {
                deadline = now + NOTICE_WAIT_MS;
                getProcessingTimeService().registerTimer(deadline, t -> {}); // a mail that ends the wait if no notice comes
            } else if (now >= deadline) {
                LOG.warn("No notice of checkpoint {} within {} ms: taking input again", awaitedNotice, NOTICE_WAIT_MS);
                awaitedNotice = -1;
                break;
            }
            long start = System.nanoTime();
            mailbox.yield();
            metrics.get(QuarantineMetrics.INPUT_WAIT_MS).inc((System.nanoTime() - start) / 1_000_000);
            setCurrentKey(key); // a notice releases other keys' entries in between
        }
        if (gated(element, key)) {
            if (waiting.isEmpty()) {
                health.watch(true); // fresh answers before the next checkpoint marks anything
            }
            held.add(new Entry(element.getValue(), 1, false));
            heldCount++;
            waiting.putIfAbsent(key, -1L);
        } else {
            metrics.get(QuarantineMetrics.PASSED).inc();
            output.collect(element);
        }
    }

    private boolean gated(StreamRecord<DocumentTask> element, Object key) {
        return alwaysGate || mayBeReplay(element) || retryingSuspects() || inTurns() || waiting.containsKey(key);
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

    /** Suspects are released apart from everything else: nothing else may be in flight until the last is confirmed. */
    private boolean retryingSuspects() {
        return !pools.isEmpty() || suspectInFlight != -1;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        long id = context.getCheckpointId();
        if (suspectInFlight == Long.MAX_VALUE) {
            suspectInFlight = id; // this checkpoint comes after the suspects' release: its completion confirms them
        }
        // Mark what this checkpoint releases (before the state is snapshotted, so the marks are in it): normally the
        // waiting entries up to the limit; while there are suspects, one group of them, once nothing else is marked
        // (the released group is confirmed by this checkpoint, which is taken after its release). Nothing while a
        // dependency does not answer: a release would only fail with it, and be blamed. While subtasks take turns,
        // only suspects, and only in this subtask's turn.
        if (turns > 0 && turnsStart < 0) {
            turnsStart = id;
        }
        lastCheckpoint = id;
        boolean inTurns = inTurns();
        long turn = id - turnsStart;
        health.watch(!waiting.isEmpty());
        boolean outage = hold(health.down());
        boolean stopping = id == stopSavepoint;
        if (stopping) {
            LOG.debug("Checkpoint {} releases nothing: the job stops with it", id);
        } else if (outage) {
            LOG.debug("Checkpoint {} releases nothing: {}", id, heldFor);
        } else if (inTurns && (turn < turnFrom || turn >= turnTo)) {
            LOG.debug("Checkpoint {} releases nothing: another subtask's turn", id);
        } else if (pools.isEmpty()) {
            if (inTurns) {
                LOG.debug("Checkpoint {} releases nothing: suspects done, the turns are not", id);
            } else {
                int budget = releaseLimit - markedCount;
                for (Map.Entry<Object, Long> w : new ArrayList<>(waiting.entrySet())) {
                    if (budget <= 0) {
                        break;
                    }
                    if (w.getValue() < 0) {
                        budget -= mark(w.getKey(), budget, id, -1);
                    }
                }
            }
        } else if (markedCount == 0) {
            int level = pools.lastKey();
            Pool pool = pools.get(level);
            int budget = Math.min(releaseLimit, pool.failed ? (pool.size + 1) / 2 : pool.size);
            for (Object key : new ArrayList<>(pool.keys.keySet())) {
                if (budget <= 0) {
                    break;
                }
                budget -= mark(key, budget, id, level);
            }
        }
        // Whether documents may pass through unchecked before the next checkpoint completes (a failure then restores
        // this one): optimistic and not held by the turns at the next checkpoint either. Suspects do not hold them:
        // this checkpoint's completion may confirm the last.
        boolean open = !alwaysGate && !(turns > 0 && id + 1 - turnsStart < turns);
        releases.update(List.of(new Release(id, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), markedCount, turnAfterFailure(), open, stopping)));
        super.snapshotState(context);
    }

    /**
     * The checkpoints this subtask would need, after a failure restored from the checkpoint being taken, to release
     * its suspects if none of them fails: what is marked now becomes the deepest pool, failed; the rest of the pool
     * it was marked from is tried whole; then one group per checkpoint as {@link #snapshotState} marks them.
     */
    private int turnAfterFailure() {
        List<int[]> groups = new ArrayList<>(); // {size, failed}, deepest first
        if (markedCount > 0) {
            groups.add(new int[] {markedCount, 1});
        }
        for (Map.Entry<Integer, Pool> p : pools.descendingMap().entrySet()) {
            boolean markedHere = markedCount > 0 && p.getKey().equals(pools.lastKey()); // marks of suspects are the deepest pool's
            int size = p.getValue().size - (markedHere ? markedCount : 0);
            if (size > 0) {
                groups.add(new int[] {size, markedHere || !p.getValue().failed ? 0 : 1});
            }
        }
        return releaseSteps(groups, releaseLimit);
    }

    /** Checkpoints to release suspect pools ({size, failed}, in order) without a failure: halves of a failed one. */
    static int releaseSteps(List<int[]> pools, int releaseLimit) {
        int steps = 0;
        for (int[] pool : pools) {
            for (int left = pool[0]; left > 0; steps++) {
                left -= Math.min(releaseLimit, pool[1] == 1 ? (left + 1) / 2 : left);
            }
        }
        return steps;
    }

    @Override
    public OperatorSnapshotFutures snapshotState(long checkpointId, long timestamp, CheckpointOptions options, CheckpointStreamFactory factory)
            throws Exception {
        // Intermediate savepoints get no completion notice (FLIP-193): nothing to wait for.
        if (!options.getCheckpointType().isSavepoint()) {
            awaitedNotice = checkpointId;
        }
        if (options.getCheckpointType() instanceof SavepointType && ((SavepointType) options.getCheckpointType()).isSynchronous()) {
            stopSavepoint = checkpointId;
        }
        return super.snapshotState(checkpointId, timestamp, options, factory);
    }

    /** Holds every entry while {@code down} (what does not answer) is not null; logs when that starts and ends. */
    private boolean hold(String down) {
        if (down != null && heldFor == null && !waiting.isEmpty()) {
            LOG.warn("Holding {} documents ({} suspects) while a dependency does not answer ({}): none is released, so a failure "
                    + "during the outage is not blamed on them; released once it answers", heldCount,
                    pools.values().stream().mapToInt(p -> p.size).sum(), down);
        } else if (down == null && heldFor != null) {
            LOG.info("Dependencies answer again: releasing the {} held documents", heldCount);
        }
        heldFor = waiting.isEmpty() ? null : down;
        return heldFor != null;
    }

    /** Marks up to {@code budget} of the key's first entries (suspects of {@code level}, or any if -1) releasing. */
    private int mark(Object key, int budget, long checkpointId, int level) throws Exception {
        setCurrentKey(key);
        List<Entry> entries = new ArrayList<>();
        held.get().forEach(entries::add);
        int n = 0;
        for (Entry e : entries) {
            // A prefix only, so a document's versions are released in order.
            if (n == budget || e.releasing || (level >= 0 && !(e.suspect && e.level == level))) {
                break;
            }
            e.releasing = true;
            n++;
        }
        if (n > 0) {
            held.update(entries);
            waiting.put(key, checkpointId);
            markedCount += n;
        }
        return n;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (suspectInFlight != -1 && suspectInFlight != Long.MAX_VALUE && checkpointId >= suspectInFlight) {
            suspectInFlight = -1;
        }
        noticed(checkpointId);
        if (checkpointId == stopSavepoint) {
            // Nothing may run after the savepoint the job stops with: a restore from it takes nothing for a replay. If
            // the stop fails, the marks stay, and the next checkpoint's notice releases them.
            return;
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
                    heldCount--;
                    markedCount--;
                    if (e.suspect) {
                        suspectInFlight = Long.MAX_VALUE;
                        Pool pool = pools.get(e.level);
                        pool.remove(key, 1);
                        if (pool.size == 0) {
                            pools.remove(e.level);
                        }
                    }
                } else {
                    rest.add(e);
                }
            }
            if (rest.isEmpty()) {
                held.clear();
                waiting.remove(key);
            } else {
                held.update(rest);
                waiting.put(key, -1L);
            }
        }
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        super.notifyCheckpointAborted(checkpointId);
        // Its marks stay: the next checkpoint holds them, and its completion releases them.
        noticed(checkpointId);
    }

    private void noticed(long checkpointId) {
        if (awaitedNotice != -1 && checkpointId >= awaitedNotice) {
            awaitedNotice = -1;
        }
    }

    @Override
    public void finish() throws Exception {
        // End of a bounded input: no checkpoint can confirm anything any more (one taken now would only follow the
        // release), so what is held goes out unchecked. A poison among it fails the run again from the same checkpoint,
        // unconvicted: a bounded run's restores end only with its restart strategy (bin/rag backfill: --max-restarts).
        // Named here, so such a loop says which documents it keeps releasing.
        if (!waiting.isEmpty()) {
            LOG.warn("End of input: releasing {} held documents without a checkpoint to confirm them ({} suspects): {}", heldCount,
                    pools.values().stream().mapToInt(p -> p.size).sum(),
                    waiting.keySet().stream().limit(20).map(String::valueOf).collect(Collectors.joining(", "))
                            + (waiting.size() > 20 ? ", ..." : ""));
        }
        for (Object key : new ArrayList<>(waiting.keySet())) {
            setCurrentKey(key);
            for (Entry e : held.get()) {
                output.collect(new StreamRecord<>(e.task));
            }
            held.clear();
        }
        waiting.clear();
        pools.clear();
        heldCount = 0;
        markedCount = 0;
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (health != null) {
            health.close();
        }
        super.close();
    }
}
