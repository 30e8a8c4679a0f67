package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageImage;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads the text of a document's images on a small executor (Async I/O), so slow OCR (~0.3-1.3 s per image)
 * overlaps with extraction and embedding instead of blocking the task thread. A failing image never fails the
 * document: it is counted and left without text.
 */
public class OcrImages extends RichAsyncFunction<ExtractedDocument, ExtractedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OcrImages.class);

    private final Configuration conf;
    private final int threads;
    private final long budgetMs;

    private transient ImageTextReader reader;
    private transient ExecutorService executor;
    private transient OcrMetrics metrics;

    public OcrImages(Configuration conf, int threads) {
        this.conf = conf;
        this.threads = threads;
        this.budgetMs = conf.get(IngestOptions.OCR_TIME_PER_DOCUMENT).toMillis();
    }

    @Override
    public void open(OpenContext openContext) {
        reader = ImageTextReader.create(conf);
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "ocr-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        metrics = new OcrMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
        if (reader != null) {
            reader.close();
        }
    }

    @Override
    public void asyncInvoke(ExtractedDocument doc, ResultFuture<ExtractedDocument> result) {
        if (reader == null || doc.images.isEmpty()) {
            doc.images.forEach(i -> i.bytes = null);
            result.complete(Collections.singletonList(doc));
            return;
        }
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (PageImage image : doc.images) {
            reads.add(CompletableFuture.runAsync(() -> readOne(doc, image), executor));
        }
        CompletableFuture.allOf(reads.toArray(new CompletableFuture[0]))
                .whenComplete((v, e) -> result.complete(Collections.singletonList(doc)));
    }

    private void readOne(ExtractedDocument doc, PageImage image) {
        synchronized (doc) {
            if (doc.ocrMillis > budgetMs) {
                // Over the document's OCR budget: do not start another reader on it.
                doc.limitExceeded = "Reading the images took more than limits.ocr-time-per-document=" + budgetMs + " ms";
                image.bytes = null;
                return;
            }
        }
        long start = System.nanoTime();
        try {
            image.text = reader.read(image.bytes);
            metrics.read.inc();
        } catch (Exception e) {
            synchronized (doc) {
                doc.imagesFailed++;
            }
            metrics.failed.inc();
            LOG.warn("Reading an image on page {} of {} failed: {}", image.page, doc.task, e.toString());
        } finally {
            image.bytes = null; // read once; do not carry pixels into state or downstream
            long ms = (System.nanoTime() - start) / 1_000_000;
            synchronized (doc) {
                doc.ocrMillis += ms;
            }
            metrics.timeMs.update(ms);
        }
    }

    @Override
    public void timeout(ExtractedDocument doc, ResultFuture<ExtractedDocument> result) {
        // Index what was read so far rather than fail the document.
        metrics.timedOut.inc();
        LOG.warn("Reading the images of {} timed out; indexing it without the unread ones", doc.task);
        ExtractedDocument copy = new ExtractedDocument(doc.task, doc.contentType);
        copy.pageCount = doc.pageCount;
        copy.title = doc.title;
        copy.pages = doc.pages;
        copy.imagesSkipped = doc.imagesSkipped;
        copy.ocrMillis = doc.ocrMillis;
        copy.limitExceeded = doc.limitExceeded;
        synchronized (doc) {
            for (PageImage i : new ArrayList<>(doc.images)) {
                if (i.text != null) {
                    PageImage c = new PageImage(i.page, null, i.source, i.width, i.height);
                    c.text = i.text;
                    copy.images.add(c);
                } else {
                    copy.imagesFailed++;
                }
            }
        }
        result.complete(Collections.singletonList(copy));
    }
}
