package io.streamrag.ingest.functions;

import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.extract.DocumentExtractor;
import io.streamrag.ingest.extract.ExtractionLimits;
import io.streamrag.ingest.metrics.ExtractMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FetchedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts page texts and images to read from fetched content (PDF, text, Markdown, HTML, PNG, JPEG) and emits the
 * document without its image bytes, then one record per image, for the OCR operator.
 */
public class ExtractContent extends ProcessFunction<FetchedDocument, OcrItem> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ExtractContent.class);

    private final ExtractionLimits limits;

    private transient DocumentExtractor extractor;
    private transient ExtractMetrics metrics;
    private transient LongCounter pagesRead;

    public ExtractContent(ExtractionLimits limits) {
        this.limits = limits;
    }

    @Override
    public void open(OpenContext openContext) {
        extractor = new DocumentExtractor(limits);
        metrics = new ExtractMetrics(getRuntimeContext().getMetricGroup());
        pagesRead = new LongCounter();
        getRuntimeContext().addAccumulator(ExtractMetrics.PAGES_ACCUMULATOR, pagesRead);
    }

    @Override
    public void processElement(FetchedDocument doc, Context ctx, Collector<OcrItem> out) {
        if (doc.task.isDelete()) {
            emit(new ExtractedDocument(doc.task, null), out);
            return;
        }
        long start = System.nanoTime();
        try {
            ExtractedDocument extracted = extractor.extract(doc.content, doc.contentType);
            extracted.task = doc.task;
            long ms = (System.nanoTime() - start) / 1_000_000;
            metrics.get(ExtractMetrics.EXTRACT_TIME_MS).update(ms);
            metrics.get(ExtractMetrics.PAGES).inc(extracted.pageCount);
            pagesRead.add((long) extracted.pageCount);
            metrics.get(ExtractMetrics.IMAGES).inc(extracted.images.size());
            metrics.get(ExtractMetrics.IMAGES_SKIPPED).inc(extracted.imagesSkipped);
            metrics.get(ExtractMetrics.SCANNED_PAGES).inc(extracted.images.stream().filter(i -> PageImage.SCANNED_PAGE.equals(i.source)).count());
            LOG.debug("Extracted {}: {} pages, {} images ({} skipped) in {} ms", doc.task, extracted.pageCount,
                    extracted.images.size(), extracted.imagesSkipped, ms);
            emit(extracted, out);
        } catch (DocumentException e) {
            metrics.get(ExtractMetrics.EXTRACT_FAILURES).inc();
            ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, e.error(), e.getMessage()));
        }
    }

    /**
     * The document without image bytes, then one item per image: images are OCR'd (and checkpointed) one by one, and
     * the whole document with all its pictures is never handed on as one record (Flink copies every record passed
     * between chained operators, which held all of a manual's images twice at once).
     */
    static void emit(ExtractedDocument doc, Collector<OcrItem> out) {
        OcrItem head = new OcrItem();
        head.documentId = doc.task.documentId;
        head.documentKey = doc.task.key();
        head.tenant = doc.task.tenant;
        head.version = doc.task.version;
        head.sequence = doc.task.sequence;
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
            OcrItem item = head.image(i);
            item.bytes = bytes[i];
            bytes[i] = null; // the item (and its copy in the OCR queue) holds the pixels from here
            out.collect(item);
        }
    }
}
