package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.IngestOptions.QuarantineMode;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.TaskInfoImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
}
