package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/** Emits a document without image bytes, then one item per image, so images are OCR'd (and checkpointed) one by one. */
public class SplitImages implements FlatMapFunction<ExtractedDocument, OcrItem> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(ExtractedDocument doc, Collector<OcrItem> out) {
        OcrItem head = new OcrItem();
        head.documentId = doc.task.documentId;
        head.documentKey = doc.task.key();
        head.tenant = doc.task.tenant;
        head.version = doc.task.version;
        head.count = doc.images.size();
        head.document = doc;
        byte[][] bytes = new byte[doc.images.size()][];
        for (int i = 0; i < doc.images.size(); i++) {
            PageImage image = doc.images.get(i);
            bytes[i] = image.bytes;
            image.bytes = null;
        }
        out.collect(head);
        for (int i = 0; i < bytes.length; i++) {
            OcrItem item = new OcrItem();
            item.documentId = head.documentId;
            item.documentKey = head.documentKey;
            item.tenant = head.tenant;
            item.version = head.version;
            item.index = i;
            item.count = bytes.length;
            item.bytes = bytes[i];
            out.collect(item);
        }
    }
}
