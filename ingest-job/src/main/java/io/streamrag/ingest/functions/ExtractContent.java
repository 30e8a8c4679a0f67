package io.streamrag.ingest.functions;

import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.extract.DocumentExtractor;
import io.streamrag.ingest.extract.ExtractionLimits;
import io.streamrag.ingest.metrics.ExtractMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FetchedDocument;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Extracts page texts and images to read from fetched content (PDF, text, Markdown, HTML, PNG, JPEG). */
public class ExtractContent extends ProcessFunction<FetchedDocument, ExtractedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ExtractContent.class);

    private final ExtractionLimits limits;

    private transient DocumentExtractor extractor;
    private transient ExtractMetrics metrics;

    public ExtractContent(ExtractionLimits limits) {
        this.limits = limits;
    }

    @Override
    public void open(OpenContext openContext) {
        extractor = new DocumentExtractor(limits);
        metrics = new ExtractMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(FetchedDocument doc, Context ctx, Collector<ExtractedDocument> out) {
        if (doc.task.isDelete()) {
            out.collect(new ExtractedDocument(doc.task, null));
            return;
        }
        long start = System.nanoTime();
        try {
            ExtractedDocument extracted = extractor.extract(doc.content, doc.contentType);
            extracted.task = doc.task;
            long ms = (System.nanoTime() - start) / 1_000_000;
            metrics.extractTimeMs.update(ms);
            metrics.pages.inc(extracted.pageCount);
            metrics.images.inc(extracted.images.size());
            metrics.imagesSkipped.inc(extracted.imagesSkipped);
            metrics.scannedPages.inc(extracted.images.stream().filter(i -> PageImage.SCANNED_PAGE.equals(i.source)).count());
            LOG.debug("Extracted {}: {} pages, {} images ({} skipped) in {} ms", doc.task, extracted.pageCount,
                    extracted.images.size(), extracted.imagesSkipped, ms);
            out.collect(extracted);
        } catch (DocumentException e) {
            metrics.failures.inc();
            ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, DeadLetters.EXTRACT, e.error(), e.getMessage()));
        }
    }
}
