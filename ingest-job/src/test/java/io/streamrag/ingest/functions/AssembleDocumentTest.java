package io.streamrag.ingest.functions;

import io.streamrag.ingest.extract.ContentTypes;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A document's image texts put back, whatever order its items come in (after a rescale they may come from different
 * OCR subtasks), across a snapshot and restore, and nothing left in state once it is out.
 */
class AssembleDocumentTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, OcrItem, ExtractedDocument> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AssembleDocument()),
                i -> i.documentKey, Types.STRING);
    }

    private static OcrItem document(String id, long version, int images) {
        DocumentTask task = new DocumentTask();
        task.documentId = id;
        task.tenant = "acme";
        task.version = version;
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

    private static OcrItem image(OcrItem document, int index, String text) {
        OcrItem image = document.image(index);
        image.text = text;
        return image;
    }

    private static List<String> texts(ExtractedDocument d) {
        return d.images.stream().map(i -> i.text).toList();
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
            assertThat(h.numKeyedStateEntries()).isZero();
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
            assertThat(h.numKeyedStateEntries()).isZero();
        }
    }
}
