package io.streamrag.ingest.functions;

import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A document's image texts put back, whatever order its items come in (after a rescale they may come from different
 * OCR subtasks, two versions of one document interleaved), a version overtaken by a newer one reported stale, across
 * a snapshot and restore (also of an earlier release's state), and nothing left in state once the document is idle.
 */
class AssembleDocumentTest {

    private static final Duration IDLE = Duration.ofMinutes(1);

    private static KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> harness() throws Exception {
        return harness(new AssembleDocument().idleTimeout(IDLE));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> harness(
            KeyedProcessFunction<String, OcrItem, ExtractedDocument> function) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(function), i -> i.documentKey, Types.STRING);
    }

    /** An UPSERT of acme's document {@code id} as extraction hands it on: the document item, counting its images. */
    static OcrItem document(String id, long version, int images) {
        DocumentTask task = new DocumentTask();
        task.documentId = id;
        task.tenant = "acme";
        task.version = version;
        task.op = Op.UPSERT.name();
        ExtractedDocument doc = new ExtractedDocument(task, ContentTypes.PDF);
        for (int i = 0; i < images; i++) {
            doc.images.add(new PageImage(i + 1, null, PageImage.EMBEDDED, 10, 10));
        }
        OcrItem item = new OcrItem();
        item.document = doc;
        item.documentId = id;
        item.documentKey = "acme:" + id;
        item.tenant = "acme";
        item.version = version;
        item.count = images;
        return item;
    }

    private static OcrItem delete(String id, long version) {
        OcrItem item = document(id, version, 0);
        item.document.task.op = Op.DELETE.name();
        item.document.contentType = null;
        return item;
    }

    /** The item with the sequence the version gate gave its event (before its images are made from it). */
    private static OcrItem sequence(OcrItem document, long sequence) {
        document.sequence = sequence;
        document.document.task.sequence = sequence;
        return document;
    }

    /** Image {@code index} of {@code document}, read as {@code text}. */
    static OcrItem image(OcrItem document, int index, String text) {
        OcrItem image = document.image(index);
        image.text = text;
        return image;
    }

    private static List<String> texts(ExtractedDocument d) {
        return d.images.stream().map(i -> i.text).toList();
    }

    /** What came out, as {@code version:op:texts}, in order. */
    private static List<String> emitted(KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> h) {
        return h.extractOutputValues().stream().map(d -> d.task.version + ":" + d.task.op + ":" + String.join(",",
                d.images.stream().map(i -> String.valueOf(i.text)).toList())).toList();
    }

    /** The outcomes on the side output, as {@code version:outcome}. */
    private static List<String> outcomes(KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> h) {
        Collection<StreamRecord<DocumentOutcome>> records = h.getSideOutput(DeadLetters.OUTCOMES);
        return records == null ? List.of() : records.stream().map(r -> r.getValue().version + ":" + r.getValue().outcome.name()).toList();
    }

    private static List<FailedDocument> deadLetters(KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> h) {
        Collection<StreamRecord<FailedDocument>> records = h.getSideOutput(DeadLetters.TAG);
        return records == null ? List.of() : records.stream().map(StreamRecord::getValue).toList();
    }

    /** Lets the document go idle: the idle timer fires and clears whatever the assembler still holds for it. */
    private static void idle(KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> h) throws Exception {
        h.setProcessingTime(h.getProcessingTime() + IDLE.toMillis() + 1_000);
    }

    @Test
    void imagesInOrderCompleteTheDocument() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d = document("a", 1, 2);
            h.processElement(d, 1);
            h.processElement(image(d, 0, "zero"), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(image(d, 1, "one"), 1);
            assertThat(h.extractOutputValues()).singleElement().satisfies(x -> assertThat(texts(x)).containsExactly("zero", "one"));
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(outcomes(h)).isEmpty();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void imagesBeforeTheirDocumentOrOutOfOrderStillCompleteIt() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d = document("b", 3, 3);
            h.processElement(image(d, 2, "two"), 1); // came from another OCR subtask, before its document
            h.processElement(d, 1);
            h.processElement(image(d, 1, "one"), 1);
            h.processElement(image(d, 0, "zero"), 1); // the last one to come is not the last image
            assertThat(h.extractOutputValues()).singleElement().satisfies(x -> assertThat(texts(x)).containsExactly("zero", "one", "two"));
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aDocumentHalfAssembledAtASnapshotIsCompletedAfterTheRestore() throws Exception {
        OcrItem d = document("c", 1, 2);
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(d, 1);
            h.processElement(image(d, 1, "one"), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(image(d, 0, "zero"), 1);
            assertThat(h.extractOutputValues()).singleElement().satisfies(x -> assertThat(texts(x)).containsExactly("zero", "one"));
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void theNewerVersionsDocumentFirstBothVersionsComeOutInOrder() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d1 = document("a", 1, 1);
            OcrItem d2 = document("a", 2, 1);
            // Old queue [d1 i1 | d2 i2] split 1 -> 2: the second subtask's document comes first.
            h.processElement(d2, 1);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "one"), 1);
            h.processElement(image(d2, 0, "two"), 1);
            assertThat(emitted(h)).containsExactly("1:UPSERT:one", "2:UPSERT:two");
            assertThat(outcomes(h)).isEmpty();
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void anOlderVersionsEarlyImageIsKeptAndTheOlderVersionOvertakenIsStale() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d1 = document("a", 1, 2);
            OcrItem d2 = document("a", 2, 1);
            // Old queue [d1 i1a | i1b d2 i2] split 1 -> 2.
            h.processElement(image(d1, 1, "1b"), 1);
            h.processElement(d2, 1);
            h.processElement(image(d2, 0, "two"), 1);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "1a"), 1);
            assertThat(emitted(h)).containsExactly("2:UPSERT:two");
            assertThat(outcomes(h)).containsExactly("1:STALE"); // one outcome for v1, none lost
            assertThat(h.getSideOutput(DeadLetters.OUTCOMES)).singleElement()
                    .satisfies(r -> assertThat(r.getValue().message).startsWith("version 1 < 2"));
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void anOlderVersionCompletingAfterTheNewerIsStaleNotIndexedAfterIt() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d1 = document("a", 1, 1);
            OcrItem d2 = document("a", 2, 1);
            h.processElement(d2, 1);
            h.processElement(image(d2, 0, "two"), 1);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "one"), 1);
            assertThat(emitted(h)).containsExactly("2:UPSERT:two");
            assertThat(outcomes(h)).containsExactly("1:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anOlderVersionStillWaitingWhenTheNewerCompletesIsStaleAtOnce() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d1 = document("a", 1, 2);
            OcrItem d2 = document("a", 2, 1);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "1a"), 1);
            h.processElement(d2, 1);
            h.processElement(image(d2, 0, "two"), 1);
            assertThat(emitted(h)).containsExactly("2:UPSERT:two");
            assertThat(outcomes(h)).containsExactly("1:STALE");
            h.processElement(image(d1, 1, "1b"), 1); // its last image: dropped, v1 has its outcome already
            assertThat(emitted(h)).hasSize(1);
            assertThat(outcomes(h)).hasSize(1);
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aDeleteIsAVersionToo() throws Exception {
        try (var h = harness()) {
            h.open();
            // Old queue [d1 i1a | i1b DELETE2]: the DELETE overtakes v1, which must not come back after it.
            OcrItem d1 = document("a", 1, 2);
            h.processElement(image(d1, 1, "1b"), 1);
            h.processElement(delete("a", 2), 1);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "1a"), 1);
            // Old queue [DELETE3 | d4 i4] on document b: both, in order, whichever subtask is first.
            OcrItem d4 = document("b", 4, 1);
            h.processElement(d4, 1);
            h.processElement(delete("b", 3), 1);
            h.processElement(image(d4, 0, "four"), 1);
            // And a DELETE of an older version after a newer one went out: stale.
            h.processElement(delete("b", 2), 1);
            assertThat(emitted(h)).containsExactly("2:DELETE:", "3:DELETE:", "4:UPSERT:four");
            assertThat(outcomes(h)).containsExactly("1:STALE", "2:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void twoVersionsHalfAssembledAtASnapshotCompleteInOrderAfterTheRestore() throws Exception {
        OcrItem d1 = document("a", 1, 2);
        OcrItem d2 = document("a", 2, 1);
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(d2, 1);
            h.processElement(image(d1, 1, "1b"), 1);
            h.processElement(d1, 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(image(d1, 0, "1a"), 1);
            h.processElement(image(d2, 0, "two"), 1);
            assertThat(emitted(h)).containsExactly("1:UPSERT:1a,1b", "2:UPSERT:two");
            assertThat(outcomes(h)).isEmpty();
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void theVersionEmittedIsRememberedAcrossARestore() throws Exception {
        OcrItem d1 = document("a", 1, 1);
        OcrItem d2 = document("a", 2, 1);
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(d2, 1);
            h.processElement(image(d2, 0, "two"), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "one"), 1);
            assertThat(emitted(h)).isEmpty();
            assertThat(outcomes(h)).containsExactly("1:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aVersionWhoseImagesNeverAllComeIsDeadLetteredOnceIdle() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d1 = document("a", 1, 3);
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "zero"), 1);
            h.processElement(image(document("a", 5, 2), 1, "orphan"), 1); // an image whose document never comes
            h.setProcessingTime(IDLE.toMillis() / 2);
            assertThat(deadLetters(h)).isEmpty();
            idle(h);
            assertThat(deadLetters(h)).singleElement().satisfies(f -> {
                assertThat(f.version).isEqualTo(1L);
                assertThat(f.stage).isEqualTo("extract");
                assertThat(f.error).isEqualTo("ExtractionTimeout");
                assertThat(f.message).contains("1 of 3 images");
            });
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(outcomes(h)).isEmpty();
            assertThat(h.numKeyedStateEntries()).isZero();
            h.processElement(image(d1, 1, "one"), 1); // too late: waits as an orphan, dropped once idle, no second outcome
            idle(h);
            assertThat(deadLetters(h)).hasSize(1);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void anIdleTimerOverdueAtARestoreWaitsForTheItemsRestoredWithIt() throws Exception {
        OcrItem d = document("a", 1, 2);
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(d, 1);
            h.processElement(image(d, 0, "zero"), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.setProcessingTime(10 * IDLE.toMillis()); // restored long after the timer was due
            assertThat(deadLetters(h)).isEmpty();
            h.processElement(image(d, 1, "one"), 1);
            assertThat(emitted(h)).containsExactly("1:UPSERT:zero,one");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void theSameVersionSentTwiceAndInterleavedIsIndexedOnceWithAllItsTexts() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem a = document("a", 5, 2);
            OcrItem b = document("a", 5, 2);
            h.processElement(a, 1);
            h.processElement(image(a, 0, "zero"), 1);
            h.processElement(b, 1);
            h.processElement(image(b, 0, "zero"), 1); // same index again: not counted as the second image
            h.processElement(image(a, 1, "one"), 1);
            h.processElement(image(b, 1, "one"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:zero,one");
            assertThat(outcomes(h)).containsExactly("5:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void equalVersionsOneAfterTheOtherAreBothHandedOn() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem a = document("a", 5, 1);
            h.processElement(a, 1);
            h.processElement(image(a, 0, "five"), 1);
            h.processElement(delete("a", 5), 1); // an unversioned DELETE takes the latest version
            OcrItem again = document("a", 5, 1);
            h.processElement(again, 1); // re-created at the same version
            h.processElement(image(again, 0, "five"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:five", "5:DELETE:", "5:UPSERT:five");
            assertThat(outcomes(h)).isEmpty();
        }
    }

    // Equal versions after a rescale: the version gate's sequence tells which event of a version came last.

    private static final String SAME_VERSION_STALE = "version 5 (sequence 1) < 5 (sequence 2), a later event of the same "
            + "version, which was assembled first (items reordered by a rescale)";

    @Test
    void anUpsertWhoseImagesComeAfterTheLaterDeleteOfItsVersionIsStaleNotIndexedAfterIt() throws Exception {
        try (var h = harness()) {
            h.open();
            // UPSERT v5 (a PDF with images), then an unversioned DELETE, which the gate gave v5 too. Old queue
            // [u5 i0 | i1 DELETE5] split 1 -> 2: the DELETE has no images and goes out first.
            OcrItem upsert = sequence(document("a", 5, 2), 1);
            h.processElement(image(upsert, 1, "one"), 1);
            h.processElement(sequence(delete("a", 5), 2), 1);
            h.processElement(upsert, 1);
            h.processElement(image(upsert, 0, "zero"), 1);
            assertThat(emitted(h)).containsExactly("5:DELETE:"); // the document stays deleted
            assertThat(outcomes(h)).containsExactly("5:STALE");
            assertThat(h.getSideOutput(DeadLetters.OUTCOMES)).singleElement().satisfies(r -> {
                assertThat(r.getValue().message).isEqualTo(SAME_VERSION_STALE);
            });
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void anUpsertStillWaitingForImagesWhenTheLaterDeleteOfItsVersionComesIsStaleAtOnce() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem upsert = sequence(document("a", 5, 2), 1);
            h.processElement(upsert, 1);
            h.processElement(image(upsert, 0, "zero"), 1);
            h.processElement(sequence(delete("a", 5), 2), 1);
            assertThat(emitted(h)).containsExactly("5:DELETE:");
            assertThat(outcomes(h)).containsExactly("5:STALE");
            h.processElement(image(upsert, 1, "one"), 1); // its last image: dropped, the UPSERT has its outcome already
            assertThat(emitted(h)).hasSize(1);
            assertThat(outcomes(h)).hasSize(1);
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void ofTwoUpsertsOfOneVersionTheLaterCompletingFirstMakesTheEarlierStale() throws Exception {
        try (var h = harness()) {
            h.open();
            // The same version sent twice with different content: the later content must win.
            OcrItem earlier = sequence(document("a", 5, 2), 1);
            OcrItem later = sequence(document("a", 5, 1), 2);
            h.processElement(earlier, 1);
            h.processElement(image(earlier, 0, "old-zero"), 1);
            h.processElement(later, 1);
            h.processElement(image(later, 0, "new"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:new");
            assertThat(outcomes(h)).containsExactly("5:STALE");
            assertThat(h.getSideOutput(DeadLetters.OUTCOMES)).singleElement()
                    .satisfies(r -> assertThat(r.getValue().message).isEqualTo(SAME_VERSION_STALE));
            h.processElement(image(earlier, 1, "old-one"), 1);
            assertThat(emitted(h)).hasSize(1);
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void twoEventsOfOneVersionWaitingTogetherEachTakeTheirOwnImagesAndComeOutInOrder() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem earlier = sequence(document("a", 5, 2), 1);
            OcrItem later = sequence(document("a", 5, 2), 2);
            h.processElement(image(later, 1, "new-one"), 1); // before its document, and before the earlier event's
            h.processElement(earlier, 1);
            h.processElement(later, 1);
            h.processElement(image(earlier, 1, "old-one"), 1);
            h.processElement(image(earlier, 0, "old-zero"), 1);
            h.processElement(image(later, 0, "new-zero"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:old-zero,old-one", "5:UPSERT:new-zero,new-one");
            assertThat(outcomes(h)).isEmpty();
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void extractionGivesTheDocumentAndEachOfItsImagesTheEventsSequence() throws Exception {
        ExtractedDocument doc = document("a", 5, 2).document;
        doc.task.sequence = 7;
        List<OcrItem> items = new ArrayList<>();
        ExtractContent.emit(doc, new ListCollector<>(items));
        assertThat(items).hasSize(3).allSatisfy(i -> {
            assertThat(i.version).isEqualTo(5);
            assertThat(i.sequence).isEqualTo(7); // how the assembler tells two events of version 5 apart
        });
    }

    @Test
    void theSequenceEmittedIsRememberedAcrossARestore() throws Exception {
        OcrItem earlier = sequence(document("a", 5, 1), 1);
        OperatorSubtaskState state;
        try (var h = harness()) {
            h.open();
            h.processElement(image(earlier, 0, "old"), 1); // waits for its document, in the snapshot
            h.processElement(sequence(delete("a", 5), 2), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(earlier, 1);
            assertThat(emitted(h)).isEmpty();
            assertThat(outcomes(h)).containsExactly("5:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void equalVersionsFromAnEarlierReleaseKeepTheirArrivalOrderAndComeBeforeNumberedOnes() throws Exception {
        try (var h = harness()) {
            h.open();
            // Events that passed an earlier release's gate (restored from its savepoint) have sequence 0: as before.
            OcrItem upsert = document("a", 5, 1);
            h.processElement(delete("a", 5), 1);
            h.processElement(upsert, 1);
            h.processElement(image(upsert, 0, "five"), 1);
            OcrItem waiting = document("b", 5, 1);
            h.processElement(waiting, 1);
            h.processElement(delete("b", 5), 1);
            h.processElement(image(waiting, 0, "five"), 1);
            // A numbered DELETE handed on, then a restored UPSERT of its version (a rescale at the upgrade moved its
            // items): the restored one passed the old gate before the restore, so before the DELETE, and is stale.
            h.processElement(sequence(delete("c", 5), 2), 1);
            OcrItem restored = document("c", 5, 0);
            h.processElement(restored, 1);
            assertThat(emitted(h)).containsExactly("5:DELETE:", "5:UPSERT:five", "5:DELETE:", "5:UPSERT:five", "5:DELETE:");
            assertThat(outcomes(h)).containsExactly("5:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aDocumentWaitingInThePreviousReleasesStateByVersionCompletesAndIsOrderedWithNewEvents() throws Exception {
        OcrItem d5 = document("a", 5, 2);
        OcrItem b5 = document("b", 5, 2);
        OperatorSubtaskState state;
        try (var h = harness(new PreviousRelease())) {
            h.open();
            h.processElement(d5, 1);
            h.processElement(image(d5, 1, "one"), 1);
            h.processElement(b5, 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(image(d5, 0, "zero"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:zero,one");
            // b: its v5 restored (it passed the previous release's gate, so before any numbered event) and a numbered
            // event of v5 after it: the numbered one wins, the restored one is stale and its late images are dropped.
            OcrItem again = sequence(document("b", 5, 1), 3);
            h.processElement(again, 1);
            h.processElement(image(again, 0, "again"), 1);
            h.processElement(image(b5, 0, "b0"), 1);
            h.processElement(image(b5, 1, "b1"), 1);
            assertThat(emitted(h)).containsExactly("5:UPSERT:zero,one", "5:UPSERT:again");
            assertThat(outcomes(h)).containsExactly("5:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aDocumentWaitingInThePreviousReleasesStateIsDeadLetteredOnceIdleWithoutAnotherItem() throws Exception {
        OcrItem d5 = document("a", 5, 2);
        OperatorSubtaskState state;
        try (var h = harness(new PreviousRelease())) {
            h.open();
            h.processElement(d5, 1);
            h.processElement(image(d5, 1, "one"), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            idle(h);
            idle(h);
            assertThat(deadLetters(h)).singleElement().satisfies(f -> assertThat(f.message).contains("1 of 2 images"));
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    /** Writes keyed state as the previous release did: documents waiting by version alone, its timer, what it emitted. */
    private static final class PreviousRelease extends KeyedProcessFunction<String, OcrItem, ExtractedDocument> {
        private transient MapState<Long, ExtractedDocument> documents;
        private transient MapState<Long, Integer> received;
        private transient ValueState<Long> cleanupAt;

        @Override
        public void open(OpenContext openContext) {
            documents = getRuntimeContext().getMapState(new MapStateDescriptor<>("assembling-versions", Types.LONG,
                    TypeInformation.of(ExtractedDocument.class)));
            received = getRuntimeContext().getMapState(new MapStateDescriptor<>("images-received-by-version", Types.LONG, Types.INT));
            cleanupAt = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup-at", Types.LONG));
        }

        @Override
        public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
            if (item.isDocument()) {
                documents.put(item.version, item.document);
                received.put(item.version, 0);
            } else {
                ExtractedDocument doc = documents.get(item.version);
                doc.images.get(item.index).text = item.text;
                documents.put(item.version, doc);
                received.put(item.version, received.get(item.version) + 1);
            }
            if (cleanupAt.value() == null) {
                long at = ctx.timerService().currentProcessingTime() + IDLE.toMillis() + 1;
                ctx.timerService().registerProcessingTimeTimer(at);
                cleanupAt.update(at);
            }
        }
    }

    /** Writes keyed state as the release before this one did: one pending document per key, with or without a count. */
    private static final class EarlierRelease extends KeyedProcessFunction<String, OcrItem, ExtractedDocument> {
        private final boolean counted;
        private transient ValueState<ExtractedDocument> pending;
        private transient ValueState<Integer> received;

        EarlierRelease(boolean counted) {
            this.counted = counted;
        }

        @Override
        public void open(OpenContext openContext) {
            pending = getRuntimeContext().getState(new ValueStateDescriptor<>("assembling", TypeInformation.of(ExtractedDocument.class)));
            received = getRuntimeContext().getState(new ValueStateDescriptor<>("images-received", Types.INT));
        }

        @Override
        public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
            if (item.isDocument()) {
                pending.update(item.document);
                if (counted) {
                    received.update(0);
                }
            } else {
                ExtractedDocument doc = pending.value();
                doc.images.get(item.index).text = item.text;
                pending.update(doc);
                if (counted) {
                    received.update(received.value() + 1);
                }
            }
        }
    }

    @Test
    void aDocumentPendingInAnEarlierReleasesStateCompletesAndOrdersWithNewVersions() throws Exception {
        OcrItem d1 = document("a", 1, 3);
        OcrItem d2 = document("a", 2, 1);
        OcrItem e = document("e", 1, 2);
        OperatorSubtaskState state;
        try (var h = harness(new EarlierRelease(true))) {
            h.open();
            h.processElement(d1, 1);
            h.processElement(image(d1, 2, "two"), 1); // that release took images in any order, counting them
            h.processElement(e, 1);
            h.processElement(image(e, 0, "e0"), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(image(d1, 0, "zero"), 1);
            h.processElement(image(d1, 1, "one"), 1);
            h.processElement(image(e, 1, "e1"), 1);
            assertThat(emitted(h)).containsExactly("1:UPSERT:zero,one,two", "1:UPSERT:e0,e1");
            h.processElement(d2, 1);
            h.processElement(image(d2, 0, "v2"), 1);
            assertThat(emitted(h)).hasSize(3);
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }

    @Test
    void aDocumentPendingInStateWithoutACountCompletesWithItsLastImageAndIsStaleOnceOvertaken() throws Exception {
        OcrItem d1 = document("a", 1, 2);
        OcrItem b1 = document("b", 1, 2);
        OcrItem b2 = document("b", 2, 1);
        OperatorSubtaskState state;
        try (var h = harness(new EarlierRelease(false))) {
            h.open();
            h.processElement(d1, 1);
            h.processElement(image(d1, 0, "zero"), 1); // that release took images strictly in order
            h.processElement(b1, 1);
            state = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(state);
            h.open();
            h.processElement(image(d1, 1, "one"), 1);
            h.processElement(b2, 1);
            h.processElement(image(b2, 0, "b2"), 1);
            h.processElement(image(b1, 0, "late"), 1);
            assertThat(emitted(h)).containsExactly("1:UPSERT:zero,one", "2:UPSERT:b2");
            assertThat(outcomes(h)).containsExactly("1:STALE");
            idle(h);
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(deadLetters(h)).isEmpty();
        }
    }

    @Test
    void everyOutcomeNamesItsVersion() throws Exception {
        try (var h = harness()) {
            h.open();
            OcrItem d2 = document("a", 2, 0);
            h.processElement(d2, 1);
            h.processElement(document("a", 1, 0), 1);
            assertThat(h.getSideOutput(DeadLetters.OUTCOMES)).singleElement().satisfies(r -> {
                assertThat(r.getValue().outcome).isEqualTo(Outcome.STALE);
                assertThat(r.getValue().documentId).isEqualTo("a");
                assertThat(r.getValue().tenant).isEqualTo("acme");
                assertThat(r.getValue().message).isEqualTo("version 1 < 2, which was assembled first (items reordered by a rescale)");
            });
        }
    }
}
