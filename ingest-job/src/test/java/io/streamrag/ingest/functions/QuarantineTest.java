package io.streamrag.ingest.functions;

import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The poison quarantine: held until a checkpoint records the attempt, counted on restore, dead-lettered after K. */
class QuarantineTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new Quarantine(2), t -> t.documentId, Types.STRING);
    }

    private static DocumentTask task(String id, long version) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.version = version;
        t.op = DocumentTask.UPSERT;
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
}
