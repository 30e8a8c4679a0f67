package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.records.OcrItem;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads the text of images on a small executor (Async I/O), so slow OCR (~0.3-1.3 s per image) overlaps with
 * extraction and embedding instead of blocking the task thread. Images come one per record ({@link SplitImages}),
 * so the operator's checkpointed in-flight queue holds at most {@code ocr.capacity} images; documents pass through.
 * A failing image never fails the document: it is counted and left without text. Once a document's images have
 * taken {@code limits.ocr-time-per-document}, its remaining images are not read and the document is dead-lettered.
 */
public class OcrImages extends RichAsyncFunction<OcrItem, OcrItem> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OcrImages.class);

    private final Configuration conf;
    private final int threads;
    private final long budgetMs;

    private transient ImageTextReader reader;
    private transient ExecutorService executor;
    private transient OcrMetrics metrics;
    /** OCR time spent per document (documentId@version) whose images are still being read. */
    private transient Map<String, Long> spent;

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
        spent = new ConcurrentHashMap<>();
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
    public void asyncInvoke(OcrItem item, ResultFuture<OcrItem> result) {
        if (item.isDocument()) {
            result.complete(Collections.singletonList(item));
            return;
        }
        if (reader == null) {
            item.bytes = null;
            result.complete(Collections.singletonList(item));
            return;
        }
        CompletableFuture.runAsync(() -> readOne(item), executor)
                .whenComplete((v, e) -> result.complete(Collections.singletonList(item)));
    }

    private void readOne(OcrItem item) {
        String key = item.documentId + "@" + item.version;
        boolean last = item.index == item.count - 1;
        long before = spent.getOrDefault(key, 0L);
        if (before > budgetMs) {
            // Over the document's OCR budget: do not start another reader on it.
            item.limitExceeded = "Reading the images took more than limits.ocr-time-per-document=" + budgetMs + " ms";
            item.bytes = null;
            if (last) {
                spent.remove(key);
            }
            return;
        }
        long start = System.nanoTime();
        try {
            item.text = reader.read(item.bytes);
            metrics.read.inc();
        } catch (Exception e) {
            item.failed = true;
            metrics.failed.inc();
            LOG.warn("Reading image {} of {} v{} failed: {}", item.index + 1, item.documentId, item.version, e.toString());
        } finally {
            item.bytes = null; // read once; do not carry pixels into state or downstream
            item.ocrMillis = (System.nanoTime() - start) / 1_000_000;
            if (last) {
                spent.remove(key);
            } else {
                spent.merge(key, item.ocrMillis, Long::sum);
            }
            metrics.timeMs.update(item.ocrMillis);
        }
    }

    @Override
    public void timeout(OcrItem item, ResultFuture<OcrItem> result) {
        // Index the document without this image's text rather than fail it.
        metrics.timedOut.inc();
        LOG.warn("Reading image {} of {} v{} timed out; indexing the document without it", item.index + 1, item.documentId, item.version);
        OcrItem copy = new OcrItem();
        copy.documentId = item.documentId;
        copy.documentKey = item.documentKey;
        copy.version = item.version;
        copy.index = item.index;
        copy.count = item.count;
        copy.failed = true;
        result.complete(Collections.singletonList(copy));
    }
}
