package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.List;

/**
 * Keyed by document: puts the texts read from a document's images back into the document and emits it once all of
 * them arrived. Normally a document's items arrive in order (same upstream subtask, ordered OCR), but after a rescale
 * the OCR operator's queued items are split among its subtasks in ranges, so a document's item and its images may
 * come from different subtasks in any order: an image that comes before its document waits for it, and the document
 * is complete when it has as many images as it counts, whatever their order. The state holds texts, never image bytes.
 */
public class AssembleDocument extends KeyedProcessFunction<String, OcrItem, ExtractedDocument> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<ExtractedDocument> pending;
    /** Images of the pending document put in so far; absent for a document pending in state of an earlier release. */
    private transient ValueState<Integer> received;
    /** Images that came before their document (after a rescale). */
    private transient ListState<OcrItem> early;

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("assembling", TypeInformation.of(ExtractedDocument.class)));
        received = getRuntimeContext().getState(new ValueStateDescriptor<>("images-received", Types.INT));
        early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-images", TypeInformation.of(OcrItem.class)));
    }

    @Override
    public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        if (item.isDocument()) {
            if (item.count == 0) {
                out.collect(item.document);
                return;
            }
            ExtractedDocument doc = item.document;
            int count = 0;
            List<OcrItem> others = new ArrayList<>();
            for (OcrItem image : early.get()) {
                if (image.version == doc.task.version) {
                    put(doc, image);
                    count++;
                } else if (image.version > doc.task.version) {
                    others.add(image); // a later version's, still to come
                }
            }
            early.update(others);
            finishOrKeep(doc, count, item.count, out);
            return;
        }
        ExtractedDocument doc = pending.value();
        if (doc == null || doc.task.version != item.version) {
            early.add(item); // its document comes later
            return;
        }
        put(doc, item);
        Integer before = received.value();
        if (before == null) {
            // Pending since an earlier release, which took images strictly in order: the last one completes it.
            if (item.index == item.count - 1) {
                pending.clear();
                out.collect(doc);
            } else {
                pending.update(doc);
            }
            return;
        }
        finishOrKeep(doc, before + 1, item.count, out);
    }

    private void finishOrKeep(ExtractedDocument doc, int count, int expected, Collector<ExtractedDocument> out) throws Exception {
        if (count >= expected) {
            pending.clear();
            received.clear();
            out.collect(doc);
        } else {
            pending.update(doc);
            received.update(count);
        }
    }

    private static void put(ExtractedDocument doc, OcrItem item) {
        PageImage image = doc.images.get(item.index);
        image.text = item.text;
        if (item.failed) {
            doc.imagesFailed++;
        }
        doc.ocrMillis += item.ocrMillis;
        if (item.limitExceeded != null && doc.limitExceeded == null) {
            doc.limitExceeded = item.limitExceeded;
        }
    }
}
