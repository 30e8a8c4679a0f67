package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The keyed version gate: stale events are dropped, state survives snapshot/restore, DELETEs are gated too, the lookup's answer fills in. */
class VersionGateTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new VersionGate()), t -> t.documentId, Types.STRING);
    }

    private static DocumentTask task(String id, long version, Op op) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.version = version;
        t.op = op.name();
        return t;
    }

    private static List<String> passed(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        return h.extractOutputValues().stream().map(t -> t.documentId + ":" + t.version + ":" + t.previousVersion).collect(Collectors.toList());
    }

    private static List<String> stale(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        if (h.getSideOutput(DeadLetters.OUTCOMES) == null) {
            return List.of();
        }
        return h.getSideOutput(DeadLetters.OUTCOMES).stream()
                .map(r -> ((StreamRecord<DocumentOutcome>) r).getValue())
                .map(o -> o.documentId + ":" + o.version + ":" + o.outcome).collect(Collectors.toList());
    }

    @Test
    void dropsOlderVersionsPerDocument() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 2, Op.UPSERT), 1);
            h.processElement(task("b", 1, Op.UPSERT), 2);
            h.processElement(task("a", 1, Op.UPSERT), 3); // stale
            h.processElement(task("a", 2, Op.UPSERT), 4); // same version: replay, passes
            h.processElement(task("a", 3, Op.UPSERT), 5);
            assertThat(passed(h)).containsExactly("a:2:null", "b:1:null", "a:2:2", "a:3:2");
            assertThat(stale(h)).containsExactly("a:1:stale");
            // Without an index lookup an empty state knows nothing; a state entry is authoritative.
            assertThat(h.extractOutputValues()).extracting(t -> t.previousVersionKnown).containsExactly(false, false, true, true);
        }
    }

    @Test
    void aDocumentTheStateDoesNotKnowTakesTheVersionTheLookupFound() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(looked(task("a", 3, Op.UPSERT), 4L), 1); // the index holds v4: stale
            h.processElement(looked(task("b", 2, Op.UPSERT), 1L), 2);
            h.processElement(looked(task("c", 1, Op.UPSERT), null), 3); // asked, never indexed
            h.processElement(looked(task("b", 3, Op.UPSERT), 1L), 4); // the state (v2) is what counts now
            DocumentTask unversioned = looked(task("d", 0, Op.DELETE), 7L);
            unversioned.versionDefaulted = true;
            h.processElement(unversioned, 5); // applies to the indexed v7
            assertThat(stale(h)).containsExactly("a:3:stale");
            assertThat(passed(h)).containsExactly("b:2:1", "c:1:null", "b:3:2", "d:7:7");
            assertThat(h.extractOutputValues()).allSatisfy(t -> assertThat(t.previousVersionKnown).isTrue());
        }
    }

    /** A task as VersionLookup hands it on when the index answered. */
    private static DocumentTask looked(DocumentTask t, Long indexed) {
        t.previousVersion = indexed;
        t.previousVersionKnown = true;
        return t;
    }

    @Test
    void keepsVersionsAcrossSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 5, Op.UPSERT), 1);
            snapshot = h.snapshot(1L, 10L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(task("a", 4, Op.UPSERT), 2);
            h.processElement(task("a", 6, Op.UPSERT), 3);
            assertThat(stale(h)).containsExactly("a:4:stale");
            assertThat(passed(h)).containsExactly("a:6:5");
        }
    }

    @Test
    void gatesDeletesAndUnversionedDeletesApplyToTheLatest() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 5, Op.UPSERT), 1);
            h.processElement(task("a", 3, Op.DELETE), 2); // older than what is indexed: stale
            DocumentTask unversioned = task("a", 0, Op.DELETE);
            unversioned.versionDefaulted = true;
            h.processElement(unversioned, 3);
            h.processElement(task("a", 5, Op.UPSERT), 4); // re-create at the same version
            assertThat(stale(h)).containsExactly("a:3:stale");
            assertThat(passed(h)).containsExactly("a:5:null", "a:5:5", "a:5:5");
            assertThat(h.extractOutputValues().get(1).op).isEqualTo(Op.DELETE.name());
        }
    }

    private static List<String> sequences(KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask> h) {
        return h.extractOutputValues().stream().map(t -> t.documentId + ":" + t.version + "#" + t.sequence).collect(Collectors.toList());
    }

    @Test
    void numbersEachDocumentsEventsInTheOrderTheyPassAcrossASnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement(task("a", 5, Op.UPSERT), 1);
            h.processElement(task("b", 1, Op.UPSERT), 2);
            DocumentTask unversioned = task("a", 0, Op.DELETE);
            unversioned.versionDefaulted = true;
            h.processElement(unversioned, 3); // takes v5: only its sequence tells it came after the UPSERT
            h.processElement(task("a", 4, Op.UPSERT), 4); // stale: not numbered
            assertThat(sequences(h)).containsExactly("a:5#1", "b:1#1", "a:5#2");
            snapshot = h.snapshot(1L, 10L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(task("a", 5, Op.UPSERT), 5);
            h.processElement(task("b", 2, Op.UPSERT), 6);
            h.processElement(task("c", 1, Op.UPSERT), 7);
            assertThat(sequences(h)).containsExactly("a:5#3", "b:2#2", "c:1#1");
        }
    }

    @Test
    void forgetsAVersionAfterTheStateTtl() throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<String, DocumentTask, DocumentTask>(
                new KeyedProcessOperator<>(new VersionGate().stateTtl(java.time.Duration.ofHours(1))), t -> t.documentId, Types.STRING)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            h.setProcessingTime(0);
            h.processElement(task("a", 2, Op.UPSERT), 1);
            h.setStateTtlProcessingTime(30 * 60_000L);
            h.setProcessingTime(30 * 60_000L);
            h.processElement(task("a", 1, Op.UPSERT), 2); // within the TTL: stale
            h.setStateTtlProcessingTime(3 * 3_600_000L);
            h.setProcessingTime(3 * 3_600_000L);
            h.processElement(task("a", 1, Op.UPSERT), 3); // forgotten: passes, with nothing known
            assertThat(passed(h)).containsExactly("a:2:null", "a:1:null");
            assertThat(stale(h)).containsExactly("a:1:stale");
            // The count is forgotten with the version, and starts again from the clock: still after the first one.
            assertThat(sequences(h)).containsExactly("a:2#1", "a:1#" + 3 * 3_600_000L);
        }
    }
}
