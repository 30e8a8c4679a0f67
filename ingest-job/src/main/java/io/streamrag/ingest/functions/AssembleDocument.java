package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by document: puts the texts read from a document's images back into the document and emits it once the
 * last one arrived. A document's items arrive in order (same upstream subtask, ordered OCR), so one pending
 * document per key is enough; the state holds texts, never image bytes.
 */
public class AssembleDocument extends KeyedProcessFunction<String, OcrItem, ExtractedDocument> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<ExtractedDocument> pending;

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("assembling", TypeInformation.of(ExtractedDocument.class)));
    }

    @Override
    public void processElement(OcrItem item, Context ctx, Collector<ExtractedDocument> out) throws Exception {
        if (item.isDocument()) {
            if (item.count == 0) {
                out.collect(item.document);
            } else {
                pending.update(item.document);
            }
            return;
        }
        ExtractedDocument doc = pending.value();
        if (doc == null || doc.task.version != item.version) {
            throw new IllegalStateException("Image " + item.index + " of " + item.documentId + " v" + item.version + " without its document");
        }
        PageImage image = doc.images.get(item.index);
        image.text = item.text;
        if (item.failed) {
            doc.imagesFailed++;
        }
        doc.ocrMillis += item.ocrMillis;
        if (item.limitExceeded != null && doc.limitExceeded == null) {
            doc.limitExceeded = item.limitExceeded;
        }
        if (item.index == item.count - 1) {
            pending.clear();
            out.collect(doc);
        } else {
            pending.update(doc);
        }
    }
}
