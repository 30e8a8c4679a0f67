package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

import static io.streamrag.ingest.functions.AssembleDocumentTest.document;
import static io.streamrag.ingest.functions.AssembleDocumentTest.image;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * State written by the release before {@link DocumentTask#sequence} and {@link OcrItem#sequence} existed (files written
 * by {@link BeforeSequenceSnapshots} on that release) restores: the POJOs gained a field, a compatible change, and the
 * restored events have sequence 0 (unknown), with every other field as it was.
 */
class BeforeSequenceRestoreTest {

    private static OperatorSubtaskState snapshot(String name) throws Exception {
        return OperatorSnapshotUtil.readStateHandle(
                Path.of(BeforeSequenceRestoreTest.class.getResource("/" + BeforeSequenceSnapshots.DIR + name).toURI()).toString());
    }

    /** The fields {@code BeforeSequenceSnapshots.task} set, restored. */
    private static void restoredAsWritten(DocumentTask t, String id, long version) {
        assertThat(t.documentId).isEqualTo(id);
        assertThat(t.version).isEqualTo(version);
        assertThat(t.op).isEqualTo(Op.UPSERT.name());
        assertThat(t.uri).isEqualTo("file:///docs/" + id + ".pdf");
        assertThat(t.title).isEqualTo("Title of " + id);
        assertThat(t.eventTime).isEqualTo(1_000 + version);
        assertThat(t.eventJson).isEqualTo("{\"documentId\":\"" + id + "\"}");
        assertThat(t.previousVersion).isEqualTo(version - 1);
        assertThat(t.previousVersionKnown).isTrue();
        assertThat(t.sequence).isZero();
    }

    private static List<String> emitted(List<ExtractedDocument> out) {
        return out.stream().map(d -> d.task.documentId + ":" + d.task.version + ":" + String.join(",",
                d.images.stream().map(i -> String.valueOf(i.text)).toList())).toList();
    }

    @Test
    void theAssemblersStateOfThePreviousReleaseRestoresAndItsEventsKeepTheirArrivalOrder() throws Exception {
        try (var h = BeforeSequenceSnapshots.assembler()) {
            h.initializeState(snapshot("assemble.snapshot"));
            h.open();
            // a: v5 waited (by version) for its second image, which the restored OCR queue hands on (sequence 0).
            h.processElement(image(document("a", 5, 2), 1, "one"), 1);
            // b: v3 went out; v4's second image came early (an OcrItem of the previous layout); now its document.
            OcrItem b4 = document("b", 4, 2);
            h.processElement(b4, 1);
            h.processElement(image(b4, 0, "b4-zero"), 1);
            // c: v5 went out (no sequence remembered): a numbered v5 passes, then the earlier-numbered one is stale.
            OcrItem c5 = document("c", 5, 0);
            c5.sequence = c5.document.task.sequence = 3;
            h.processElement(c5, 1);
            OcrItem c5earlier = document("c", 5, 0);
            c5earlier.sequence = c5earlier.document.task.sequence = 2;
            h.processElement(c5earlier, 1);
            h.processElement(document("c", 4, 0), 1);

            assertThat(emitted(h.extractOutputValues())).containsExactly("a:5:zero,one", "b:4:b4-zero,b4-one", "c:5:");
            restoredAsWritten(h.extractOutputValues().get(0).task, "a", 5);
            Collection<StreamRecord<DocumentOutcome>> outcomes = h.getSideOutput(DeadLetters.OUTCOMES);
            assertThat(outcomes).extracting(r -> r.getValue().documentId + ":" + r.getValue().version + ":" + r.getValue().message)
                    .containsExactly(
                            "c:5:version 5 (sequence 2) < 5 (sequence 3), a later event of the same version, which was "
                                    + "assembled first (items reordered by a rescale)",
                            "c:4:version 4 < 5, which was assembled first (items reordered by a rescale)");
            h.setProcessingTime(h.getProcessingTime() + 3 * 60_000);
            h.setProcessingTime(h.getProcessingTime() + 3 * 60_000);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(h.getSideOutput(DeadLetters.TAG)).isNull();
        }
    }

    @Test
    void aDocumentWaitingInTheTenantQueueOfThePreviousReleaseRestoresWithAllItsFields() throws Exception {
        try (var h = BeforeSequenceSnapshots.admission()) {
            h.setProcessingTime(0);
            h.initializeState(snapshot("tenant-admission.snapshot"));
            h.open();
            h.setProcessingTime(2_000);
            assertThat(h.extractOutputValues()).singleElement().satisfies(t -> {
                restoredAsWritten(t, "d2", 7);
                assertThat(t.tenant).isEqualTo("t");
                assertThat(t.contentBase64).isEqualTo("aGVsbG8=");
            });
        }
    }

    /** Hands each item on as it is. */
    static final class Echo extends RichAsyncFunction<OcrItem, OcrItem> {
        private static final long serialVersionUID = 1L;

        @Override
        public void asyncInvoke(OcrItem input, ResultFuture<OcrItem> resultFuture) {
            resultFuture.complete(List.of(input));
        }
    }

    @Test
    void itemsInTheOcrQueueOfThePreviousReleaseRestoreAndAreAssembled() throws Exception {
        List<OcrItem> restored;
        try (var h = BeforeSequenceSnapshots.ocr(new Echo())) {
            h.initializeState(snapshot("ocr.snapshot"));
            h.open();
            h.endInput();
            restored = h.extractOutputValues();
        }
        assertThat(restored).hasSize(2);
        assertThat(restored.get(0).isDocument()).isTrue();
        assertThat(restored.get(0).sequence).isZero();
        restoredAsWritten(restored.get(0).document.task, "manual", 2);
        OcrItem picture = restored.get(1);
        assertThat(picture.sequence).isZero();
        assertThat(picture.documentKey).isEqualTo("acme:manual");
        assertThat(picture.version).isEqualTo(2);
        assertThat(picture.count).isEqualTo(1);
        assertThat(new String(picture.bytes, StandardCharsets.UTF_8)).isEqualTo("picture");

        picture.text = "read";
        try (var h = BeforeSequenceSnapshots.assembler()) {
            h.open();
            h.processElement(restored.get(0), 1);
            h.processElement(picture, 1);
            assertThat(emitted(h.extractOutputValues())).containsExactly("manual:2:read");
        }
    }
}
