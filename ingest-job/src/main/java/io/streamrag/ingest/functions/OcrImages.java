package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.ImageTextReader;
import io.streamrag.ingest.extract.OcrCache;
import io.streamrag.ingest.extract.OcrPools;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.metrics.OcrMetrics;
import io.streamrag.ingest.records.OcrItem;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the text of images on an executor shared by the TaskManager's OCR subtasks ({@code ingest.ocr.threads}, one per
 * core by default; Async I/O), so slow OCR (~0.3-1.3 s per image) uses every core and overlaps with extraction and
 * embedding instead of blocking the task thread. Text already read for the tenant (same image bytes) comes from a
 * shared {@link OcrCache} instead of tesseract. Images come one per record ({@link ExtractContent}),
 * so the operator's checkpointed in-flight queue holds at most {@code ingest.ocr.capacity} images; documents pass through.
 * A failing image never fails the document: it is counted and left without text. Once a document's images have
 * taken {@code ingest.limits.ocr-time-per-document}, its remaining images are not read and the document is dead-lettered.
 */
public class OcrImages extends RichAsyncFunction<OcrItem, OcrItem> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OcrImages.class);

    private final OcrSettings settings;

    private transient ImageTextReader reader;
    private transient OcrPools.Pool pool;
    private transient OcrMetrics metrics;
    /** OCR time spent per document (documentId@version) whose images are still being read. */
    private transient Map<String, Long> spent;

    public OcrImages(OcrSettings settings) {
        this.settings = settings;
    }

    /** The reader of {@code ingest.ocr.provider}; a seam for tests that count reads. */
    protected ImageTextReader createReader() {
        return ImageTextReader.create(settings);
    }

    @Override
    public void open(OpenContext openContext) {
        reader = createReader();
        pool = OcrPools.acquire(settings.threads(), settings.cacheBytes());
        metrics = new OcrMetrics(getRuntimeContext().getMetricGroup());
        spent = new ConcurrentHashMap<>();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool = null;
            OcrPools.release(settings.threads(), settings.cacheBytes());
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
        CompletableFuture.runAsync(() -> readOne(item), pool.executor)
                .whenComplete((v, e) -> result.complete(Collections.singletonList(item)));
    }

    private void readOne(OcrItem item) {
        String key = item.documentKey + "@" + item.version; // tenant + documentId: two tenants never share a budget
        boolean last = item.index == item.count - 1;
        long before = spent.getOrDefault(key, 0L);
        long budgetMs = settings.timePerDocument().toMillis();
        if (before > budgetMs) {
            // Over the document's OCR budget: do not start another reader on it.
            item.limitExceeded = "Reading the images took more than " + IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT.key() + "=" + budgetMs + " ms";
            item.bytes = null;
            if (last) {
                spent.remove(key);
            }
            return;
        }
        long start = System.nanoTime();
        boolean hit = false;
        try {
            byte[] bytes = item.bytes;
            OcrCache.Result result = pool.cache.get(OcrCache.key(item.tenant, bytes), () -> reader.read(bytes));
            hit = result.hit();
            (hit ? metrics.get(OcrMetrics.CACHE_HITS) : metrics.get(OcrMetrics.CACHE_MISSES)).inc();
            item.text = result.text();
            metrics.get(OcrMetrics.IMAGES_READ).inc();
        } catch (Exception e) {
            item.failed = true;
            metrics.get(OcrMetrics.IMAGES_FAILED).inc();
            LOG.warn("Reading image {} of {} v{} failed: {}", item.index + 1, item.documentId, item.version, e.toString());
        } finally {
            item.bytes = null; // read once; do not carry pixels into state or downstream
            item.ocrMillis = (System.nanoTime() - start) / 1_000_000;
            if (last) {
                spent.remove(key);
            } else {
                spent.merge(key, item.ocrMillis, Long::sum);
            }
            if (!hit) {
                metrics.ocrTime(item.ocrMillis); // reading time, not cache look-ups
            }
        }
    }

    @Override
    public void timeout(OcrItem item, ResultFuture<OcrItem> result) {
        // Index the document without this image's text rather than fail it.
        metrics.get(OcrMetrics.DOCUMENTS_TIMED_OUT).inc();
        LOG.warn("Reading image {} of {} v{} timed out; indexing the document without it", item.index + 1, item.documentId, item.version);
        // A new record: the timed-out one may still be in a reader's hands.
        OcrItem copy = item.image(item.index);
        copy.failed = true;
        result.complete(Collections.singletonList(copy));
    }
}
