package io.streamrag.ingest.functions;

import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.common.metrics.MetricSpec;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions.QuarantineMode;
import io.streamrag.ingest.health.DependencyHealth;
import io.streamrag.ingest.metrics.QuarantineMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.TaskInfoImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.checkpoint.StateObjectCollection;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.Serializable;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The poison quarantine: pass-through in normal running; gated documents held until a checkpoint records the attempt,
 * counted on restore, dead-lettered after K (the first tests drive the gating itself, in always-gate mode).
 */
class QuarantineTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness() throws Exception {
        return harness(QuarantineMode.ALWAYS_GATE);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness(QuarantineMode mode) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new Quarantine(2, mode), t -> t.documentId, Types.STRING);
    }

    private static DocumentTask task(String id, long version) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.version = version;
        t.op = Op.UPSERT.name();
        return t;
    }

    private static List<String> released(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        return h.extractOutputValues().stream().map(t -> t.documentId + ":" + t.version).collect(Collectors.toList());
    }

    private static List<FailedDocument> deadLetters(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        if (h.getSideOutput(DeadLetters.TAG) == null) {
            return List.of();
        }
        return h.getSideOutput(DeadLetters.TAG).stream().map(r -> ((StreamRecord<FailedDocument>) r).getValue()).collect(Collectors.toList());
    }

    @Test
    void releasesInOrderOnceACheckpointHoldsTheAttempt() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 1), 1);
            h.processElement(task("a", 2), 2);
            assertThat(released(h)).isEmpty();
            h.snapshot(1, 10);
            h.processElement(task("b", 1), 3); // after checkpoint 1: waits for checkpoint 2
            h.notifyOfCompletedCheckpoint(1);
            assertThat(released(h)).containsExactly("a:1", "a:2");
            h.snapshot(2, 20);
            h.notifyOfCompletedCheckpoint(2);
            assertThat(released(h)).containsExactly("a:1", "a:2", "b:1");
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void suspectsAreRetriedAloneAndTheOneThatFailsAgainIsDeadLettered() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(task("poison", 1), 1);
            h.processElement(task("good", 1), 2);
            state = h.snapshot(1, 10);
            h.notifyOfCompletedCheckpoint(1);
            assertThat(released(h)).containsExactlyInAnyOrder("poison:1", "good:1");
            // ... and the task fails before the next checkpoint completes: both are suspects now.
        }
        OperatorSubtaskState atPoison = null;
        long checkpoint = 2;
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            assertThat(deadLetters(h)).isEmpty(); // one failure is forgiven
            h.processElement(task("late", 1), 5); // an ordinary document arriving during recovery waits
            while (atPoison == null && checkpoint < 12) {
                OperatorSubtaskState snap = h.snapshot(checkpoint, checkpoint);
                int before = released(h).size();
                h.notifyOfCompletedCheckpoint(checkpoint++);
                assertThat(released(h).size() - before).as("one suspect at a time").isLessThanOrEqualTo(1);
                if (released(h).contains("poison:1")) {
                    atPoison = snap;
                }
            }
            assertThat(atPoison).isNotNull();
            assertThat(released(h)).doesNotContain("late:1");
            // ... and the poison kills the task again.
        }
        try (var h = harness()) {
            h.initializeState(atPoison);
            h.open();
            List<FailedDocument> dead = deadLetters(h);
            assertThat(dead).extracting(f -> f.documentId + "/" + f.stage + "/" + f.error).containsExactly("poison/quarantine/PoisonDocument");
            assertThat(dead.get(0).message).contains("2 attempts");
            for (int i = 0; i < 6; i++) {
                h.snapshot(checkpoint, checkpoint);
                h.notifyOfCompletedCheckpoint(checkpoint++);
            }
            assertThat(released(h)).contains("late:1").doesNotContain("poison:1");
        }
    }

    @Test
    void withOneAttemptAFailureOfDocumentsReleasedTogetherDeadLettersOnlyTheOneThatFailsAlone() throws Exception {
        // Another tenant's document released with a poison one: the shared failure cannot say whose it was.
        OperatorSubtaskState state;
        try (var h = oneAttempt()) {
            h.open();
            h.processElement(task("poison", 1), 1);
            h.processElement(task("innocent", 1), 2);
            state = h.snapshot(1, 10);
            h.notifyOfCompletedCheckpoint(1);
            assertThat(released(h)).containsExactlyInAnyOrder("poison:1", "innocent:1");
            // ... and the task fails before the next checkpoint completes.
        }
        OperatorSubtaskState atPoison = null;
        long checkpoint = 2;
        List<String> retried = new ArrayList<>();
        try (var h = oneAttempt()) {
            h.initializeState(state);
            h.open();
            assertThat(deadLetters(h)).as("a failure of two cannot convict either").isEmpty();
            while (atPoison == null && checkpoint < 12) {
                OperatorSubtaskState snap = h.snapshot(checkpoint, checkpoint);
                h.notifyOfCompletedCheckpoint(checkpoint++);
                if (released(h).contains("poison:1")) {
                    atPoison = snap;
                }
            }
            assertThat(atPoison).isNotNull();
            retried.addAll(released(h));
        }
        try (var h = oneAttempt()) {
            h.initializeState(atPoison);
            h.open();
            // The poison failed alone: convicted at its first attempt of its own.
            assertThat(deadLetters(h)).extracting(f -> f.documentId + "/" + f.error).containsExactly("poison/PoisonDocument");
            for (int i = 0; i < 4; i++) {
                h.snapshot(checkpoint, checkpoint);
                h.notifyOfCompletedCheckpoint(checkpoint++);
            }
            retried.addAll(released(h));
        }
        assertThat(retried).as("the innocent one retried, before the poison or after it").contains("innocent:1");
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> oneAttempt() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new Quarantine(1, QuarantineMode.ALWAYS_GATE), t -> t.documentId, Types.STRING);
    }

    @Test
    void aCompletedCheckpointAfterTheReleaseClearsTheMarker() throws Exception {
        OperatorSubtaskState afterRelease;
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 1), 1);
            h.snapshot(1, 10);
            h.notifyOfCompletedCheckpoint(1);
            afterRelease = h.snapshot(2, 20);
        }
        try (var h = harness()) {
            h.initializeState(afterRelease);
            h.open();
            h.snapshot(3, 30);
            h.notifyOfCompletedCheckpoint(3);
            assertThat(released(h)).isEmpty(); // processed before checkpoint 2: not attempted again
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void optimisticPassesDocumentsStraightThroughAndKeepsNothing() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(QuarantineMode.OPTIMISTIC)) {
            h.open();
            h.processElement(task("a", 1), 1);
            h.processElement(task("b", 1), 2);
            h.processElement(task("a", 2), 3);
            assertThat(released(h)).containsExactly("a:1", "b:1", "a:2"); // no checkpoint needed
            assertThat(h.numKeyedStateEntries()).isZero();
            state = h.snapshot(1, 10);
        }
        try (var h = harness(QuarantineMode.OPTIMISTIC)) {
            h.initializeState(state);
            h.open();
            h.snapshot(2, 20);
            h.notifyOfCompletedCheckpoint(2);
            assertThat(released(h)).isEmpty();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void afterARestoreReplayedDocumentsWaitForACheckpointAndNewOnesPass() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(QuarantineMode.OPTIMISTIC)) {
            h.open();
            state = h.snapshot(1, 10);
        }
        try (var h = harness(QuarantineMode.OPTIMISTIC)) {
            h.setProcessingTime(1_000); // the restore
            h.initializeState(state);
            h.open();
            h.processElement(task("old", 1), 500);   // produced before the restore: may be what failed the task
            h.processElement(new StreamRecord<>(task("unstamped", 1))); // no timestamp: may be a replay too
            h.processElement(task("new", 1), 1_500); // produced after it
            h.processElement(task("old", 2), 1_600); // new, but its document has a held version: keeps the order
            // Stamped an hour ahead (the broker takes that): it may be a replay whatever its stamp says.
            h.processElement(task("ahead", 1), 1_000 + 3_600_000);
            assertThat(released(h)).containsExactly("new:1");
            assertThat(h.numKeyedStateEntries()).isEqualTo(3);
            h.snapshot(2, 20);
            h.processElement(task("new", 2), 2_000);
            h.notifyOfCompletedCheckpoint(2);
            assertThat(released(h)).containsExactlyInAnyOrder("new:1", "new:2", "old:1", "unstamped:1", "old:2", "ahead:1");
            assertThat(released(h).indexOf("old:1")).as("in order per document").isLessThan(released(h).indexOf("old:2"));
            assertThat(h.numKeyedStateEntries()).as("released entries are cleared").isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /**
     * The job around the operator: a document that kills the task whenever it is let through, the source replaying
     * from the restored checkpoint's offset, the poison first arriving in pass-through. It costs one failure more
     * than max-attempts (2); the others are released, the state ends empty and pass-through resumes.
     */
    @Test
    void optimisticDeadLettersAPoisonAfterAtMostOneFailureMoreThanMaxAttempts() throws Exception {
        List<StreamRecord<DocumentTask>> topic = List.of(new StreamRecord<>(task("good-1", 1), 100),
                new StreamRecord<>(task("poison", 1), 110), new StreamRecord<>(task("good-2", 1), 120));
        OperatorSubtaskState restoreFrom = null;
        int restoreOffset = 0;
        long checkpoint = 1;
        int failures = 0;
        Set<String> reached = new LinkedHashSet<>();
        List<FailedDocument> dead = new ArrayList<>();
        boolean finished = false;
        while (!finished && failures < 10) {
            try (var h = harness(QuarantineMode.OPTIMISTIC)) {
                h.setProcessingTime(1_000L * (failures + 1)); // each restore after everything in the topic was produced
                if (restoreFrom != null) {
                    h.initializeState(restoreFrom);
                }
                h.open();
                dead.addAll(deadLetters(h));
                boolean crashed = crashes(h, reached);
                for (int offset = restoreOffset; !crashed && offset <= topic.size() + 3; offset++) {
                    if (offset < topic.size()) {
                        h.processElement(topic.get(offset));
                        crashed = crashes(h, reached);
                        if (crashed) {
                            break; // before the next checkpoint: restored from the last completed one
                        }
                    }
                    OperatorSubtaskState snapshot = h.snapshot(checkpoint, checkpoint);
                    h.notifyOfCompletedCheckpoint(checkpoint++);
                    restoreFrom = snapshot;
                    restoreOffset = Math.min(offset + 1, topic.size());
                    crashed = crashes(h, reached);
                }
                if (crashed) {
                    failures++;
                } else {
                    finished = true;
                    assertThat(h.numKeyedStateEntries()).isZero();
                    h.processElement(task("after", 1), 1_000L * (failures + 2));
                    assertThat(released(h)).as("pass-through again").endsWith("after:1");
                }
            }
        }
        assertThat(finished).isTrue();
        assertThat(failures).isEqualTo(3);
        assertThat(dead).extracting(f -> f.documentId + "/" + f.error).containsExactly("poison/PoisonDocument");
        assertThat(reached).contains("good-1:1", "good-2:1");
    }

    /** What the operator let through reaches the rest of the job; the poison kills the task. */
    private static boolean crashes(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h, Set<String> reached) {
        List<String> out = released(h);
        reached.addAll(out);
        return out.stream().anyMatch(t -> t.startsWith("poison:"));
    }

    /**
     * The job failed before its first checkpoint completed: the task's next attempt has no state to restore, the source
     * starts over, and a poison at the head of the stream must be gated now or it would crash the job forever.
     */
    @Test
    void aReattemptWithoutStateGatesWhatWasProducedBeforeIt() throws Exception {
        MockEnvironment env = new MockEnvironmentBuilder().setMaxParallelism(128).setParallelism(1).setSubtaskIndex(0).build();
        Field taskInfo = MockEnvironment.class.getDeclaredField("taskInfo"); // the builder has no attempt number
        taskInfo.setAccessible(true);
        taskInfo.set(env, new TaskInfoImpl("Quarantine", 128, 0, 1, 1));
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new Quarantine(2, QuarantineMode.OPTIMISTIC), t -> t.documentId, Types.STRING, env)) {
            h.setProcessingTime(1_000);
            h.open();
            h.processElement(task("head", 1), 500);
            h.processElement(task("new", 1), 1_500);
            assertThat(released(h)).containsExactly("new:1");
            h.snapshot(1, 10);
            h.notifyOfCompletedCheckpoint(1);
            assertThat(released(h)).containsExactly("new:1", "head:1");
        }
    }

    /**
     * A planned stop (bin/rag down, an upgrade, a rescale) ends the job with its savepoint: nothing runs after it, so a
     * start from it replays nothing. What producers sent meanwhile is stamped before the start, and was held as a
     * possible replay (a backlog then crawled through at 128 documents per checkpoint per subtask, kept in state).
     * Documents held at the stop are released by the first checkpoint after it, not taken for suspects of a failure.
     */
    @Test
    void aStartFromAStopWithSavepointHoldsNothingNewAndReleasesWhatWasHeldWithoutBlame() throws Exception {
        OperatorSubtaskState stopped = stopWithSavepointHolding("held");
        try (var h = harness(QuarantineMode.OPTIMISTIC)) {
            h.setProcessingTime(60_000); // started again a minute later
            h.initializeState(stopped);
            h.open();
            h.processElement(task("sent-while-stopped", 1), 30_000);
            // Neither a replay nor behind suspects (a release taken for a failed one would gate everything): it passes.
            assertThat(released(h)).containsExactly("sent-while-stopped:1");
            assertThat(checkpoint(h, 4)).containsExactly("held:1");
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /** A failure before the first checkpoint after that start restores the savepoint again: that is a restore. */
    @Test
    void aReattemptAfterAStartFromAStopWithSavepointGatesAsAfterAnyRestore() throws Exception {
        OperatorSubtaskState stopped = stopWithSavepointHolding("held");
        MockEnvironment env = new MockEnvironmentBuilder().setMaxParallelism(1).setParallelism(1).setSubtaskIndex(0).build();
        Field taskInfo = MockEnvironment.class.getDeclaredField("taskInfo"); // the builder has no attempt number; key groups as the default harness
        taskInfo.setAccessible(true);
        taskInfo.set(env, new TaskInfoImpl("Quarantine", 1, 0, 1, 1));
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new Quarantine(2, QuarantineMode.OPTIMISTIC), t -> t.documentId, Types.STRING, env)) {
            h.setProcessingTime(60_000);
            h.initializeState(stopped);
            h.open();
            h.processElement(task("sent-while-stopped", 1), 30_000);
            assertThat(released(h)).as("it may be what failed the first attempt").isEmpty();
            assertThat(checkpoint(h, 4)).containsExactly("held:1", "sent-while-stopped:1");
        }
    }

    /**
     * The savepoint of a stop, taken while {@code id} is held (a replay after an earlier failure) and marked by a
     * checkpoint whose notice never came: nothing runs after the savepoint the job stops with.
     */
    private static OperatorSubtaskState stopWithSavepointHolding(String id) throws Exception {
        try (var h = restoredHarness(null, 1_000)) {
            h.processElement(task(id, 1), 500);
            h.snapshot(2, 2);
            OperatorSubtaskState stopped = h.snapshotWithLocalState(3, 3, SavepointType.suspend(SavepointFormatType.CANONICAL))
                    .getJobManagerOwnedState();
            h.notifyOfCompletedCheckpoint(3);
            assertThat(released(h)).isEmpty();
            return stopped;
        }
    }

    // ---- A backlog after a restore: bounded releases, bisected suspects, back-pressure ----

    private static final int M = Quarantine.RELEASE_LIMIT;

    /** A harness restored (at processing time 1,000) from the given state, or from an empty checkpoint. */
    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> restoredHarness(OperatorSubtaskState state, long at)
            throws Exception {
        if (state == null) {
            try (var h = harness(QuarantineMode.OPTIMISTIC)) {
                h.open();
                state = h.snapshot(1, 1);
            }
        }
        var h = harness(QuarantineMode.OPTIMISTIC);
        h.setProcessingTime(at);
        h.initializeState(state);
        h.open();
        return h;
    }

    /** Checkpoint and notice; returns what that notice released. */
    private static List<String> checkpoint(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h, long id) throws Exception {
        int before = released(h).size();
        h.snapshot(id, id);
        h.notifyOfCompletedCheckpoint(id);
        List<String> out = released(h);
        return new ArrayList<>(out.subList(before, out.size()));
    }

    @Test
    void aBacklogAfterARestoreIsReleasedAtMostALimitPerCheckpointInOrder() throws Exception {
        int n = 1_000; // 400 documents, up to 3 versions each, all produced before the restore
        try (var h = restoredHarness(null, 1_000)) {
            for (int i = 0; i < n; i++) {
                h.processElement(task("d" + (i % 400), i / 400 + 1), 1);
            }
            assertThat(released(h)).isEmpty();
            long id = 2;
            while (released(h).size() < n && id < 100) {
                assertThat(checkpoint(h, id++).size()).as("released by one notice").isLessThanOrEqualTo(M);
            }
            assertThat(id - 2).as("checkpoints").isEqualTo((n + M - 1) / M);
            assertThat(released(h)).hasSize(n).doesNotHaveDuplicates();
            Map<String, Long> last = new TreeMap<>();
            for (DocumentTask t : h.extractOutputValues()) {
                assertThat(t.version).as("versions of %s in order", t.documentId).isGreaterThan(last.getOrDefault(t.documentId, 0L));
                last.put(t.documentId, t.version);
            }
            assertThat(h.numKeyedStateEntries()).as("released entries are cleared").isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    /**
     * A release of M documents is cut short by a failure that none of them caused (a checkpoint timeout, a lost
     * TaskManager): its M suspects are confirmed in halves, about log2(M) checkpoints instead of one at a time (2·M);
     * the rest of the backlog, held across the restore, follows.
     */
    @Test
    void suspectsOfAFailedReleaseAreBisectedInLogarithmicallyManyCheckpoints() throws Exception {
        int n = 300;
        OperatorSubtaskState atRelease;
        List<String> firstRelease;
        try (var h = restoredHarness(null, 1_000)) {
            for (int i = 0; i < n; i++) {
                h.processElement(task("d" + i, 1), 1);
            }
            atRelease = h.snapshot(2, 2);
            h.notifyOfCompletedCheckpoint(2);
            firstRelease = released(h);
            assertThat(firstRelease).hasSize(M);
        } // ... and the job fails before checkpoint 3 completes
        try (var h = restoredHarness(atRelease, 2_000)) {
            assertThat(deadLetters(h)).isEmpty(); // one failure is forgiven
            Set<String> suspects = new HashSet<>(firstRelease);
            long id = 3;
            List<Integer> groups = new ArrayList<>();
            while (!suspects.isEmpty() && id < 3 + 2 * M) {
                List<String> out = checkpoint(h, id++);
                assertThat(suspects).as("suspects are released apart from the rest").containsAll(out);
                groups.add(out.size());
                out.forEach(suspects::remove);
            }
            int log2 = 31 - Integer.numberOfLeadingZeros(M);
            assertThat(groups).as("halves").startsWith(M / 2, M / 4);
            assertThat(id - 3).as("checkpoints to retry all suspects").isLessThanOrEqualTo(log2 + 1);
            List<String> rest = checkpoint(h, id++); // confirms the last group, releases the next batch
            assertThat(rest).hasSize(M).doesNotContainAnyElementsOf(firstRelease);
            while (released(h).size() < n) {
                assertThat(checkpoint(h, id++).size()).isLessThanOrEqualTo(M);
            }
            assertThat(released(h)).hasSize(n).doesNotHaveDuplicates();
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
            h.processElement(task("new", 1), 3_000);
            assertThat(released(h)).as("pass-through again").endsWith("new:1");
        }
    }

    /**
     * One poison among M documents released together: the job fails whenever it is released. Bisection finds it in
     * about log2(M) failures and 2·log2(M) checkpoints and dead-letters it with its attempts; every other document ends
     * released exactly once (counting only releases a later completed checkpoint kept).
     */
    @Test
    void aPoisonAmongManySuspectsIsFoundInLogarithmicallyManyStepsAndDeadLettered() throws Exception {
        for (int variant = 0; variant < 6; variant++) {
            // Its name decides where it sorts among the restored keys, so which halves it falls in.
            String poisonId = "poison" + variant;
            String poison1 = poisonId + ":1";
            int poison = variant * (M - 1) / 5;
            Set<String> all = new LinkedHashSet<>();
            OperatorSubtaskState restoreFrom;
            try (var h = restoredHarness(null, 1_000)) {
                for (int i = 0; i < M; i++) {
                    String id = i == poison ? poisonId : "d" + i;
                    all.add(id + ":1");
                    h.processElement(task(id, 1), 1);
                }
                restoreFrom = h.snapshot(2, 2);
                h.notifyOfCompletedCheckpoint(2);
                assertThat(released(h)).hasSize(M).contains(poison1);
            } // the poison kills the task
            List<String> kept = new ArrayList<>();
            List<FailedDocument> dead = new ArrayList<>();
            long id = 3;
            int failures = 1;
            boolean done = false;
            while (!done && id < 3 * M) {
                try (var h = restoredHarness(restoreFrom, 1_000L * (failures + 1))) {
                    dead.addAll(deadLetters(h));
                    List<String> previous = List.of(); // released by the last notice: kept once a later checkpoint completes
                    while (true) {
                        int before = released(h).size();
                        OperatorSubtaskState snapshot = h.snapshot(id, id);
                        h.notifyOfCompletedCheckpoint(id++);
                        kept.addAll(previous);
                        restoreFrom = snapshot;
                        previous = new ArrayList<>(released(h).subList(before, released(h).size()));
                        assertThat(previous.size()).isLessThanOrEqualTo(M / 2);
                        if (previous.contains(poison1)) {
                            failures++; // ... kills the task before the next checkpoint completes
                            break;
                        }
                        if (previous.isEmpty() && h.numKeyedStateEntries() == 0) {
                            done = true;
                            break;
                        }
                    }
                }
            }
            int log2 = 31 - Integer.numberOfLeadingZeros(M);
            assertThat(done).isTrue();
            assertThat(failures).as("failures, %s", poisonId).isLessThanOrEqualTo(log2 + 1);
            assertThat(id - 3).as("checkpoints, %s", poisonId).isLessThanOrEqualTo(2 * log2 + 4);
            assertThat(dead).extracting(f -> f.documentId + "/" + f.stage + "/" + f.error).containsExactly(poisonId + "/quarantine/PoisonDocument");
            assertThat(dead.get(0).message).contains("2 attempts");
            assertThat(kept).as("one outcome each").doesNotHaveDuplicates().doesNotContain(poison1);
            all.remove(poison1);
            assertThat(kept).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    /**
     * Holding a full release or more, a gated document waits for the notice of a checkpoint already taken (a mail, run
     * by yield); without one due it must not wait: the next barrier is behind it and only a checkpoint releases.
     */
    @Test
    @Timeout(60) // a wrong wait blocks in yield() forever
    void aFullQuarantineBackPressuresUntilTheNoticeOfATakenCheckpoint() throws Exception {
        try (var h = restoredHarness(null, 1_000)) {
            for (int i = 0; i < M; i++) {
                h.processElement(task("d" + i, 1), 1);
            }
            h.processElement(task("no-notice-due", 1), 1); // nothing to wait for: taken at once
            h.snapshot(2, 2);
            TaskMailbox mailbox = h.getTaskMailbox();
            mailbox.put(new Mail(() -> h.notifyOfCompletedCheckpoint(2), TaskMailbox.MAX_PRIORITY, "notice of checkpoint 2"));
            h.processElement(task("late", 1), 1);
            assertThat(mailbox.hasMail()).as("waited for the notice").isFalse();
            assertThat(released(h)).hasSize(M).doesNotContain("no-notice-due:1", "late:1");
            assertThat(h.numKeyedStateEntries()).as("held after the release: the two").isEqualTo(2);

            for (int i = 0; i < M; i++) {
                h.processElement(task("e" + i, 1), 1);
            }
            h.snapshot(3, 3);
            mailbox.put(new Mail(() -> h.getOperator().notifyCheckpointAborted(3), TaskMailbox.MAX_PRIORITY, "abort of checkpoint 3"));
            h.processElement(task("after-abort", 1), 1);
            assertThat(mailbox.hasMail()).as("an abort ends the wait too").isFalse();
            h.snapshotWithLocalState(4, 4, SavepointType.savepoint(SavepointFormatType.CANONICAL));
            h.processElement(task("after-savepoint", 1), 1); // an intermediate savepoint gets no notice: taken at once
            long id = 5;
            while (released(h).size() < 2 * M + 4 && id < 20) {
                assertThat(checkpoint(h, id++).size()).isLessThanOrEqualTo(M);
            }
            assertThat(released(h)).hasSize(2 * M + 4).doesNotHaveDuplicates();
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    // ---- Dependency outages: a failure while OpenSearch or the embedding endpoint does not answer is not the documents' ----

    private static final String OUTAGE = "OpenSearch http://127.0.0.1:9200 is unreachable: java.net.ConnectException: Connection refused";

    /** The dependency probe, switched by the test between answering (null) and down (why); shared by every restore. */
    private static final class SwitchedHealth implements DependencyHealth, Serializable {
        volatile String down;
        volatile boolean watched;
        final AtomicInteger opened = new AtomicInteger();

        @Override
        public String down() {
            return down;
        }

        @Override
        public String checkNow() {
            return down;
        }

        @Override
        public void watch(boolean wanted) {
            watched = wanted;
        }
    }

    /**
     * The job around an optimistic quarantine (max-attempts 2) with a switched probe, restore after restore: what a
     * notice releases is in flight until the next checkpoint completes, and the job fails before that if the poison is
     * among it, or if a dependency is down while anything is (the indexer gives up after its retry budget); while one is
     * down the job also fails after a few checkpoints with nothing in flight (the version lookup gives up too).
     */
    private static final class Job {
        final SwitchedHealth health = new SwitchedHealth();
        final String poison;
        OperatorSubtaskState restoreFrom;
        long checkpoint = 2;
        long clock = 1_000;
        int failures;
        /** Released, and kept by a later completed checkpoint. */
        final List<String> kept = new ArrayList<>();
        final List<FailedDocument> dead = new ArrayList<>();
        /** Released while a dependency was down. */
        final List<String> releasedIntoOutage = new ArrayList<>();
        /** The metrics of the last task attempt; its gauges as they read when it ended (closing the harness finishes it). */
        HarnessMetrics metrics;
        int outageHeld;
        int suspects;

        /**
         * Restored (e.g. from a savepoint) with {@code n} documents produced before it, the poison (if any) among them:
         * all gated, then released together by checkpoint 2 while everything answers. They are in flight now.
         */
        Job(int n, String poison) throws Exception {
            this.poison = poison;
            try (var h = harness(null)) {
                restoreFrom = h.snapshot(1, 1);
            }
            try (var h = harness(restoreFrom)) {
                for (int i = 0; i < n; i++) {
                    h.processElement(task(i == n / 2 && poison != null ? poison : "d" + i, 1), 1);
                }
                restoreFrom = h.snapshot(checkpoint, checkpoint);
                h.notifyOfCompletedCheckpoint(checkpoint++);
                assertThat(released(h)).hasSize(n);
            }
        }

        KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness(OperatorSubtaskState state) throws Exception {
            metrics = new HarnessMetrics();
            MockEnvironment env = metrics.environment().setMaxParallelism(1).setParallelism(1).setSubtaskIndex(0).build();
            SwitchedHealth probe = health;
            var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                    new Quarantine(2, QuarantineMode.OPTIMISTIC, () -> {
                        probe.opened.incrementAndGet();
                        return probe;
                    }), t -> t.documentId, Types.STRING, env);
            h.setProcessingTime(clock += 1_000); // each restore after everything was produced
            if (state != null) {
                h.initializeState(state);
            }
            h.open();
            return h;
        }

        /** One task attempt from the last completed checkpoint; true when it ends in a failure, false when all is done. */
        boolean run(int maxCheckpoints) throws Exception {
            try (var h = harness(restoreFrom)) {
                try {
                    return attempt(h, maxCheckpoints);
                } finally {
                    outageHeld = gauge(metrics, QuarantineMetrics.OUTAGE_HELD);
                    suspects = gauge(metrics, QuarantineMetrics.SUSPECTS);
                }
            }
        }

        private boolean attempt(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h, int maxCheckpoints) throws Exception {
            dead.addAll(deadLetters(h));
            List<String> inFlight = List.of();
            for (int c = 0; c < maxCheckpoints; c++) {
                int before = released(h).size();
                OperatorSubtaskState snapshot = h.snapshot(checkpoint, checkpoint);
                h.notifyOfCompletedCheckpoint(checkpoint++);
                kept.addAll(inFlight);
                restoreFrom = snapshot;
                inFlight = new ArrayList<>(released(h).subList(before, released(h).size()));
                if (health.down != null) {
                    releasedIntoOutage.addAll(inFlight);
                }
                if (inFlight.contains(poison + ":1") || (health.down != null && !inFlight.isEmpty())) {
                    failures++;
                    return true;
                }
                if (inFlight.isEmpty() && h.numKeyedStateEntries() == 0) {
                    return false;
                }
            }
            if (health.down != null) {
                failures++;
                return true;
            }
            return false;
        }
    }

    private static long count(HarnessMetrics metrics, MetricSpec<Counter> spec) {
        return metrics.count(spec.name());
    }

    private static int gauge(HarnessMetrics metrics, MetricSpec<Gauge<Integer>> spec) {
        return metrics.<Integer>gauge(spec.name());
    }

    /**
     * OpenSearch goes down just after 8 documents were released and stays down through a dozen failures of the job
     * (with the defaults, over two hours): without the probe their bisection reached a lone document within 4 failures
     * and from then on each failure dead-lettered one of them as poison. Now the restore finds OpenSearch down, counts
     * nothing and releases nothing while it is; the documents wait in the quarantine and are released, each once, when
     * it answers.
     */
    @Test
    void anOutageLongerThanTheRetryBudgetDeadLettersNobodyAndHoldsTheDocuments() throws Exception {
        int n = 8;
        Job job = new Job(n, null);
        job.health.down = OUTAGE; // the 8 are in flight: the indexer fails the job after its budget
        job.failures = 1;
        List<Integer> held = new ArrayList<>();
        List<Integer> suspects = new ArrayList<>();
        List<Long> refunded = new ArrayList<>();
        long retried = 0;
        for (int i = 0; i < 12; i++) {
            assertThat(job.run(3)).as("the outage fails the job again").isTrue();
            held.add(job.outageHeld);
            suspects.add(job.suspects);
            refunded.add(count(job.metrics, QuarantineMetrics.OUTAGE_REFUNDED));
            retried += count(job.metrics, QuarantineMetrics.RETRIED);
        }
        assertThat(job.dead).as("dead letters after %d failures", job.failures).isEmpty();
        assertThat(job.releasedIntoOutage).as("released into the outage").isEmpty();
        assertThat(held).as("held for the outage, each restore").containsOnly(n);
        assertThat(suspects).as("no search for a poison").containsOnly(0);
        assertThat(refunded).as("not counted: at the first restore, nothing in flight after it").startsWith((long) n).containsOnly((long) n, 0L);
        assertThat(retried).isZero();
        job.health.down = null; // OpenSearch answers again
        assertThat(job.run(10)).isFalse();
        assertThat(job.dead).isEmpty();
        assertThat(job.kept).as("each released once").hasSize(n).doesNotHaveDuplicates();
        assertThat(job.outageHeld).isZero();
    }

    /**
     * A poison among 8 documents, found half-way when the embedding endpoint goes down: the failures of the outage
     * neither count nor narrow the search, and once it answers the bisection goes on where it stood, the poison is
     * dead-lettered after its 2 attempts (not counting group failures) and every other document is released once.
     */
    @Test
    void aPoisonIsStillDeadLetteredAfterMaxAttemptsOnceTheDependenciesAnswer() throws Exception {
        int n = 8;
        Job job = new Job(n, "poison");
        job.failures = 1; // all 8 in flight: the poison kills the task
        assertThat(job.run(10)).as("a half with the poison released, killing it again").isTrue();
        assertThat(job.dead).isEmpty();
        int failuresBefore = job.failures;
        job.health.down = "OPENAI embedding endpoint http://127.0.0.1:8090/v1 answered HTTP 503";
        int suspects = -1;
        for (int i = 0; i < 6; i++) {
            assertThat(job.run(3)).isTrue();
            assertThat(job.dead).as("dead letters during the outage").isEmpty();
            if (i == 0) {
                suspects = job.suspects;
                assertThat(count(job.metrics, QuarantineMetrics.OUTAGE_REFUNDED)).as("the poison's half, released before the outage").isPositive();
            }
            assertThat(job.suspects).as("the same suspects, held").isEqualTo(suspects);
            assertThat(job.outageHeld).isEqualTo(suspects);
        }
        assertThat(suspects).isBetween(1, n);
        assertThat(job.releasedIntoOutage).as("released into the outage").isEmpty();
        job.health.down = null;
        while (job.run(20)) {
            assertThat(job.failures - failuresBefore - 6).as("failures after the outage").isLessThanOrEqualTo(3);
        }
        assertThat(job.dead).extracting(f -> f.documentId + "/" + f.stage + "/" + f.error).containsExactly("poison/quarantine/PoisonDocument");
        assertThat(job.dead.get(0).message).contains("2 attempts");
        assertThat(job.kept).as("one outcome each").hasSize(n - 1).doesNotHaveDuplicates().doesNotContain("poison:1");
    }

    /**
     * Suspects held for an outage stay held, with their bisection, across a snapshot and restore that no failure caused
     * (a stop-with-savepoint and start): nothing was in flight, so nothing is undone; once the dependency answers the
     * failed pool is released half at a time as before the outage.
     */
    @Test
    void heldSuspectsSurviveASnapshotAndRestoreWithTheirBisection() throws Exception {
        int n = 8;
        Job job = new Job(n, null);
        OperatorSubtaskState savepoint;
        // A TaskManager lost while everything answers: all 8 are suspects, their pool failed whole; then OpenSearch goes down.
        try (var h = job.harness(job.restoreFrom)) {
            assertThat(count(job.metrics, QuarantineMetrics.OUTAGE_REFUNDED)).as("counted: nothing was down at the restore").isZero();
            assertThat(count(job.metrics, QuarantineMetrics.RETRIED)).isEqualTo(n);
            job.health.down = OUTAGE;
            h.snapshot(job.checkpoint, job.checkpoint);
            h.notifyOfCompletedCheckpoint(job.checkpoint++);
            savepoint = h.snapshot(job.checkpoint++, 0);
            assertThat(released(h)).isEmpty();
            assertThat(gauge(job.metrics, QuarantineMetrics.SUSPECTS)).isEqualTo(n);
            assertThat(gauge(job.metrics, QuarantineMetrics.OUTAGE_HELD)).isEqualTo(n);
            assertThat(job.health.watched).as("probed while documents are held").isTrue();
        }
        try (var h = job.harness(savepoint)) {
            assertThat(deadLetters(h)).isEmpty();
            assertThat(count(job.metrics, QuarantineMetrics.OUTAGE_REFUNDED)).isZero();
            assertThat(h.numKeyedStateEntries()).isEqualTo(n);
            assertThat(gauge(job.metrics, QuarantineMetrics.SUSPECTS)).isEqualTo(n);
            assertThat(checkpoint(h, job.checkpoint++)).as("still down").isEmpty();
            job.health.down = null;
            List<Integer> groups = new ArrayList<>();
            while (released(h).size() < n && groups.size() < 10) {
                groups.add(checkpoint(h, job.checkpoint++).size());
            }
            assertThat(groups).as("halves of the failed pool").startsWith(n / 2, n / 4);
            checkpoint(h, job.checkpoint++);
            assertThat(released(h)).hasSize(n).doesNotHaveDuplicates();
            assertThat(h.numKeyedStateEntries()).as("released entries are cleared").isZero();
            assertThat(gauge(job.metrics, QuarantineMetrics.OUTAGE_HELD)).isZero();
            assertThat(job.health.watched).as("nothing held: nothing probed").isFalse();
            h.processElement(task("new", 1), job.clock + 1);
            assertThat(released(h)).as("pass-through again").endsWith("new:1");
        }
    }

    /** In normal optimistic running nothing is held, so no probe is even built; always-gate holds every document while down. */
    @Test
    void onlyATaskThatHoldsDocumentsProbesAndAlwaysGateHoldsNewDocumentsWhileDown() throws Exception {
        SwitchedHealth health = new SwitchedHealth();
        DependencyHealth.Factory factory = () -> {
            health.opened.incrementAndGet();
            return health;
        };
        health.down = OUTAGE;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new Quarantine(2, QuarantineMode.OPTIMISTIC, factory), t -> t.documentId, Types.STRING)) {
            h.open();
            h.processElement(task("a", 1), 1);
            assertThat(released(h)).containsExactly("a:1");
            assertThat(health.opened).hasValue(0);
        }
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new Quarantine(2, QuarantineMode.ALWAYS_GATE, factory), t -> t.documentId, Types.STRING)) {
            h.open();
            assertThat(health.opened).hasValue(1);
            h.processElement(task("a", 1), 1);
            assertThat(health.watched).isTrue();
            assertThat(checkpoint(h, 1)).isEmpty();
            assertThat(checkpoint(h, 2)).isEmpty();
            health.down = null;
            assertThat(checkpoint(h, 3)).containsExactly("a:1");
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void aPoisonThatTakesItsDependencyDownIsForgivenOnlyMaxRefundsTimesThenDeadLettered() throws Exception {
        // It crashes a self-hosted embedding server with the task: every restore's probe finds the server restarting,
        // back a few seconds later, and the poison is released again. Forgiven every time, it failed the job forever.
        Job job = new Job(1, "poison");
        job.failures = 1;
        boolean failed = true;
        for (int i = 0; i < Quarantine.MAX_REFUNDS + 4 && failed; i++) {
            job.health.down = "OLLAMA embedding endpoint http://127.0.0.1:11434 is unreachable: java.net.ConnectException";
            try (var h = job.harness(job.restoreFrom)) { // the restore's probe: down
                job.health.down = null;
                failed = job.attempt(h, 5); // released again, it fails the job, until it is dead-lettered at a restore
            }
        }
        assertThat(job.dead).extracting(f -> f.documentId + "/" + f.error).containsExactly("poison/PoisonDocument");
        // Gated from the start, with maxAttempts 2: MAX_REFUNDS failures forgiven, then two counted.
        assertThat(job.failures).isEqualTo(Quarantine.MAX_REFUNDS + 2);
    }

    // ---- Several subtasks: a job failure is job-wide, and so is "alone" ----

    /**
     * The job around the quarantine at parallelism {@code p} (always-gate, max-attempts 2 unless given), subtasks in lockstep: each
     * checkpoint is taken and completed on all of them; what their notices release is in flight until the next one
     * completes, and the job fails (every subtask restored from the last completed checkpoint, the subtasks' snapshots
     * combined and redistributed as Flink does) if the poison is among it.
     */
    private static final class Subtasks implements AutoCloseable {
        static final int MAX_PARALLELISM = 128;
        final String poison;
        final int maxAttempts;
        final QuarantineMode mode;
        /** Processing time: each restore 10 s after the last. */
        long clock;
        int parallelism;
        List<KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>> tasks = new ArrayList<>();
        OperatorSubtaskState restoreFrom;
        long checkpoint = 1;
        int failures;
        final List<String> kept = new ArrayList<>();
        final List<FailedDocument> dead = new ArrayList<>();
        /** Released by each subtask at the notice of every checkpoint of the current attempt, by checkpoint id. */
        final Map<Long, List<List<String>>> releases = new TreeMap<>();

        Subtasks(int parallelism, String poison) throws Exception {
            this(parallelism, poison, 2, QuarantineMode.ALWAYS_GATE);
        }

        Subtasks(int parallelism, String poison, int maxAttempts, QuarantineMode mode) throws Exception {
            this.parallelism = parallelism;
            this.poison = poison;
            this.maxAttempts = maxAttempts;
            this.mode = mode;
            for (int i = 0; i < parallelism; i++) {
                tasks.add(open(i));
            }
        }

        /** A document id (prefix and a number) whose key is on the given subtask. */
        static String on(int subtask, int parallelism, String prefix) {
            for (int i = 0; ; i++) {
                String id = prefix + i;
                if (KeyGroupRangeAssignment.assignKeyToParallelOperator(id, MAX_PARALLELISM, parallelism) == subtask) {
                    return id;
                }
            }
        }

        /** A subtask, restored from the combined snapshots of {@code oldParallelism} subtasks if given. */
        KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> open(int subtask, int oldParallelism) throws Exception {
            var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(new Quarantine(maxAttempts, mode),
                    t -> t.documentId, Types.STRING, MAX_PARALLELISM, parallelism, subtask);
            h.setProcessingTime(clock);
            if (oldParallelism > 0) {
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(restoreFrom, MAX_PARALLELISM, oldParallelism, parallelism, subtask));
            }
            h.open();
            dead.addAll(deadLetters(h));
            return h;
        }

        KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> open(int subtask) throws Exception {
            return open(subtask, 0);
        }

        /** The job fails: every subtask restored from the last completed checkpoint (at another parallelism: rescaled). */
        void restart(int newParallelism, boolean withoutReleases) throws Exception {
            int oldParallelism = parallelism;
            close();
            if (withoutReleases) { // as a savepoint taken before the subtasks' releases were kept
                restoreFrom = restoreFrom.toBuilder().setManagedOperatorState(StateObjectCollection.empty()).build();
            }
            parallelism = newParallelism;
            releases.clear();
            clock += 10_000;
            for (int i = 0; i < parallelism; i++) {
                tasks.add(open(i, oldParallelism));
            }
        }

        /** Checkpoints until the poison is released (true: the job fails) or nothing is held or in flight (false). */
        boolean run(int maxCheckpoints) throws Exception {
            List<String> inFlight = List.of();
            for (int c = 0; c < maxCheckpoints; c++) {
                long id = checkpoint++;
                List<OperatorSubtaskState> snapshots = new ArrayList<>();
                List<Integer> before = new ArrayList<>();
                for (var h : tasks) {
                    before.add(released(h).size());
                    snapshots.add(h.snapshot(id, id));
                }
                List<List<String>> out = new ArrayList<>();
                for (int i = 0; i < tasks.size(); i++) {
                    tasks.get(i).notifyOfCompletedCheckpoint(id);
                    List<String> all = released(tasks.get(i));
                    out.add(new ArrayList<>(all.subList(before.get(i), all.size())));
                }
                releases.put(id, out);
                kept.addAll(inFlight);
                restoreFrom = AbstractStreamOperatorTestHarness.repackageState(snapshots.toArray(new OperatorSubtaskState[0]));
                inFlight = out.stream().flatMap(List::stream).collect(Collectors.toList());
                if (inFlight.contains(poison + ":1")) {
                    failures++;
                    return true;
                }
                if (inFlight.isEmpty() && tasks.stream().allMatch(h -> h.numKeyedStateEntries() == 0)) {
                    return false;
                }
            }
            return false;
        }

        /** Restarts after each failure until all is done; at most {@code maxFailures} failures. */
        void runToTheEnd(int maxFailures) throws Exception {
            while (run(50)) {
                assertThat(failures).as("failures").isLessThanOrEqualTo(maxFailures);
                restart(parallelism, false);
            }
            assertThat(tasks.stream().mapToInt(h -> h.numKeyedStateEntries()).sum()).as("held at the end").isZero();
        }

        @Override
        public void close() throws Exception {
            for (var h : tasks) {
                h.close();
            }
            tasks = new ArrayList<>();
        }
    }

    /**
     * Parallelism 2, max-attempts 2: subtask 0 holds one innocent document, subtask 1 the poison and another. Their
     * first releases fail the job together (an attempt of each); then subtask 0 released its innocent one alone while
     * subtask 1 released a half of its suspects holding the poison, the job failed again, and subtask 0 — seeing only
     * its own release — dead-lettered the innocent document as poison. Now "alone" means alone in the job, and the
     * subtasks release their suspects in turns.
     */
    @Test
    void aDocumentAloneOnItsSubtaskIsNotConvictedForAFailureCausedOnAnotherSubtask() throws Exception {
        for (int variant = 0; variant < 3; variant++) { // the names decide which half of subtask 1's pool the poison is in
            String innocent = Subtasks.on(0, 2, "innocent" + variant + "-");
            String poison = Subtasks.on(1, 2, "poison" + variant + "-");
            String other = Subtasks.on(1, 2, "other" + variant + "-");
            try (Subtasks job = new Subtasks(2, poison)) {
                job.tasks.get(0).processElement(task(innocent, 1), 1);
                job.tasks.get(1).processElement(task(poison, 1), 1);
                job.tasks.get(1).processElement(task(other, 1), 2);
                assertThat(job.run(1)).as("released together, the poison fails the job").isTrue();
                assertThat(job.releases.get(1L).get(0)).containsExactly(innocent + ":1");
                job.restart(2, false);
                assertThat(job.dead).as("a failure shared by three convicts none").isEmpty();
                job.runToTheEnd(4);
                for (List<List<String>> atCheckpoint : job.releases.values()) {
                    assertThat(atCheckpoint.stream().filter(out -> !out.isEmpty()).count()).as("subtasks releasing at one checkpoint")
                            .isLessThanOrEqualTo(1);
                }
                assertThat(job.dead).as("variant %d", variant).extracting(f -> f.documentId + "/" + f.stage + "/" + f.error)
                        .containsExactly(poison + "/quarantine/PoisonDocument");
                assertThat(job.kept).containsExactlyInAnyOrder(innocent + ":1", other + ":1");
            }
        }
    }

    /**
     * A poison among 8 documents on subtask 1 while subtask 0 holds 8 innocent ones (suspects too after their shared
     * first release): the subtasks take turns, so the poison is still found by bisection and dead-lettered after a
     * bounded number of failures (1 shared, then at most log2(8) + 1 of halves), and nobody else is.
     */
    @Test
    void aPoisonIsDeadLetteredWithinBoundedFailuresWhileAnotherSubtaskHoldsDocumentsToo() throws Exception {
        for (int variant = 0; variant < 4; variant++) {
            String poison = Subtasks.on(1, 2, "poison" + variant + "-");
            Set<String> innocents = new LinkedHashSet<>();
            try (Subtasks job = new Subtasks(2, poison)) {
                for (int i = 0; i < 8; i++) {
                    String a = Subtasks.on(0, 2, "a" + i + "-");
                    job.tasks.get(0).processElement(task(a, 1), 1);
                    innocents.add(a + ":1");
                    if (i == variant * 2) {
                        job.tasks.get(1).processElement(task(poison, 1), 1);
                    }
                    String b = Subtasks.on(1, 2, "b" + i + "-");
                    job.tasks.get(1).processElement(task(b, 1), 1);
                    innocents.add(b + ":1");
                }
                job.runToTheEnd(1 + 3 + 1);
                assertThat(job.dead).as("variant %d after %d failures", variant, job.failures)
                        .extracting(f -> f.documentId + "/" + f.error).containsExactly(poison + "/PoisonDocument");
                assertThat(job.dead.get(0).message).contains("2 attempts");
                assertThat(job.kept).as("one outcome each").containsExactlyInAnyOrderElementsOf(innocents);
                // What arrives later is released too.
                String lateA = Subtasks.on(0, 2, "late-a");
                String lateB = Subtasks.on(1, 2, "late-b");
                job.tasks.get(0).processElement(task(lateA, 1), 1);
                job.tasks.get(1).processElement(task(lateB, 1), 1);
                assertThat(job.run(10)).isFalse();
                assertThat(job.kept).contains(lateA + ":1", lateB + ":1");
            }
        }
    }

    /**
     * Optimistic, max-attempts 1, parallelism 2: subtask 0 releases a replayed document alone while subtask 1 lets a
     * new one through, which fails the job. Subtask 1 may have let anything through: the lone release is not alone in
     * the job, so the document is not dead-lettered (it was, with one attempt); the poison, gated when replayed, is.
     */
    @Test
    void aReleaseWhileAnotherSubtaskLetsDocumentsThroughIsNotAlone() throws Exception {
        String replayed = Subtasks.on(0, 2, "replayed-");
        String poison = Subtasks.on(1, 2, "poison-");
        try (Subtasks job = new Subtasks(2, poison, 1, QuarantineMode.OPTIMISTIC)) {
            assertThat(job.run(1)).isFalse(); // checkpoint 1, nothing held
            job.restart(2, false); // a failure, restored at 10 s: documents stamped before are replays
            job.tasks.get(0).processElement(task(replayed, 1), 1);
            assertThat(job.run(1)).isFalse();
            assertThat(job.releases.get(2L).get(0)).containsExactly(replayed + ":1");
            job.tasks.get(1).processElement(task(poison, 1), 15_000); // new: let through, it fails the job
            assertThat(released(job.tasks.get(1))).containsExactly(poison + ":1");
            job.failures++;
            job.restart(2, false);
            assertThat(job.dead).as("released alone on its subtask while the other let documents through").isEmpty();
            job.tasks.get(1).processElement(task(poison, 1), 15_000); // the source replays it: gated now
            job.runToTheEnd(4);
            assertThat(job.dead).extracting(f -> f.documentId + "/" + f.error).containsExactly(poison + "/PoisonDocument");
            assertThat(job.kept).containsExactly(replayed + ":1");
        }
    }

    /**
     * Restored from a savepoint taken before the subtasks' releases were kept (no such operator state): the restore
     * works, and "alone" falls back to alone on the subtask; a poison released alone is still dead-lettered.
     */
    @Test
    void aSnapshotWithoutTheSubtasksReleasesRestoresAndConvictsAsBefore() throws Exception {
        String poison = Subtasks.on(0, 1, "poison-");
        String good = Subtasks.on(0, 1, "good-");
        try (Subtasks job = new Subtasks(1, poison)) {
            job.tasks.get(0).processElement(task(poison, 1), 1);
            job.tasks.get(0).processElement(task(good, 1), 1);
            assertThat(job.run(1)).isTrue();
            while (true) {
                job.restart(1, true);
                if (!job.run(50)) {
                    break;
                }
                assertThat(job.failures).isLessThanOrEqualTo(3);
            }
            assertThat(job.dead).extracting(f -> f.documentId + "/" + f.error).containsExactly(poison + "/PoisonDocument");
            assertThat(job.kept).containsExactly(good + ":1");
        }
        // Two subtasks restored without it: each still starts and releases what it holds.
        try (Subtasks job = new Subtasks(2, "none")) {
            job.tasks.get(0).processElement(task(Subtasks.on(0, 2, "a-"), 1), 1);
            job.tasks.get(1).processElement(task(Subtasks.on(1, 2, "b-"), 1), 1);
            job.restoreFrom = AbstractStreamOperatorTestHarness.repackageState(job.tasks.get(0).snapshot(1, 1), job.tasks.get(1).snapshot(1, 1));
            job.checkpoint = 2;
            job.restart(2, true);
            assertThat(job.dead).isEmpty();
            assertThat(job.run(10)).isFalse();
            assertThat(job.kept).hasSize(2);
        }
    }

    /**
     * Rescaled from 2 subtasks to 1 after a shared failure: the releases restored are of other subtasks, so no turns,
     * but the count is still the job's (the lone innocent one of subtask 0 shared the failure); the poison is found.
     */
    @Test
    void aRescaleAfterASharedFailureKeepsTheJobWideCount() throws Exception {
        String innocent = Subtasks.on(0, 2, "innocent-");
        String poison = Subtasks.on(1, 2, "poison-");
        try (Subtasks job = new Subtasks(2, poison)) {
            job.tasks.get(0).processElement(task(innocent, 1), 1);
            job.tasks.get(1).processElement(task(poison, 1), 1);
            assertThat(job.run(1)).isTrue();
            job.restart(1, false);
            assertThat(job.dead).isEmpty();
            job.runToTheEnd(3);
            assertThat(job.dead).extracting(f -> f.documentId + "/" + f.error).containsExactly(poison + "/PoisonDocument");
            assertThat(job.kept).containsExactly(innocent + ":1");
        }
    }
}
