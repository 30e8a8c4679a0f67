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

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

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
    /** {@code ingest.ocr.document-timeout}: a budget no image of its document has come for in this long is dropped. */
    private final long budgetMaxAgeMs;

    private transient ImageTextReader reader;
    /** Volatile: readOne reads it on the pool's threads, close() sets it null on the task thread. */
    private transient volatile OcrPools.Pool pool;
    private transient OcrMetrics metrics;
    /** Budgets of the documents whose last image has not come yet; used on the task thread only. */
    private transient Map<String, DocumentBudget> budgets;
    /** Reads queued or under way, by their input record (the one Flink hands to {@link #timeout} too). */
    private transient Map<OcrItem, FutureTask<OcrItem>> reads;

    /** With the default {@code ingest.ocr.document-timeout}. */
    public OcrImages(OcrSettings settings) {
        this(settings, IngestOptions.OCR_DOCUMENT_TIMEOUT.defaultValue());
    }

    /** {@code documentTimeout}: {@code ingest.ocr.document-timeout}, the async operator's timeout of one image. */
    public OcrImages(OcrSettings settings, Duration documentTimeout) {
        this.settings = settings;
        this.budgetMaxAgeMs = documentTimeout.toMillis();
    }

    /** Milliseconds on a monotonic clock, for the budgets' ages; a seam for tests. */
    long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    /** Whether this subtask holds a budget for the document of {@code item} (tests). */
    boolean holdsBudget(OcrItem item) {
        return budgets.containsKey(budgetKey(item));
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
        budgets = new HashMap<>();
        reads = Collections.synchronizedMap(new IdentityHashMap<>());
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
        // The input stays untouched: Flink keeps it in the operator's queue, and checkpoints it, until its result is
        // emitted; a restore reads it again. Results are new records, without the pixels.
        if (reader == null) {
            result.complete(Collections.singletonList(item.image(item.index)));
            return;
        }
        DocumentBudget budget = budgetOf(item);
        FutureTask<OcrItem> task = new FutureTask<>(() -> readOne(item, budget)) {
            @Override
            protected void done() {
                reads.remove(item);
                if (isCancelled()) {
                    return; // timed out: timeout() has completed the result
                }
                OcrItem out;
                try {
                    out = get();
                } catch (InterruptedException | ExecutionException | RuntimeException e) { // an Error in the reader: this image only fails
                    metrics.get(OcrMetrics.IMAGES_FAILED).inc();
                    LOG.warn("Reading image {} of {} v{} failed: {}", item.index + 1, item.documentId, item.version, e.toString());
                    out = item.image(item.index);
                    out.failed = true;
                }
                result.complete(Collections.singletonList(out));
            }
        };
        reads.put(item, task);
        try {
            pool.executor.execute(task);
        } catch (RejectedExecutionException e) { // the pool is shutting down
            reads.remove(item);
            result.completeExceptionally(e);
        }
    }

    /**
     * The OCR budget of the image's document, on the task thread, where a document's images come one after another: its
     * first image opens it, its last takes it out of the map (its images still being read keep it), whatever order the
     * reads finish in, and a replay of the same version starts a new one. A rescale redistributes the async operator's
     * queued images, so a document's last image may go to another subtask: each new document here first drops the
     * budgets no image has come for in {@code ingest.ocr.document-timeout} (each image is handed over within its
     * predecessors' timeouts unless backpressure holds the queue longer; a budget dropped early only lets the rest of
     * its document start a new one), so the map holds at most the documents opened within one timeout.
     */
    private DocumentBudget budgetOf(OcrItem item) {
        String key = budgetKey(item);
        if (item.index == item.count - 1) {
            DocumentBudget budget = budgets.remove(key);
            return budget != null ? budget : new DocumentBudget();
        }
        long now = nowMs();
        DocumentBudget budget = budgets.get(key);
        if (budget == null) {
            budgets.values().removeIf(b -> now - b.seenMs > budgetMaxAgeMs);
            budget = new DocumentBudget();
            budgets.put(key, budget);
        }
        budget.seenMs = now;
        return budget;
    }

    /** Tenant + documentId + version: two tenants never share a budget. */
    private static String budgetKey(OcrItem item) {
        return item.documentKey + "@" + item.version;
    }

    private OcrItem readOne(OcrItem item, DocumentBudget budget) {
        OcrItem read = item.image(item.index);
        long budgetMs = settings.timePerDocument().toMillis();
        if (budget.spentMs.get() > budgetMs) {
            // Over the document's OCR budget: do not start another reader on it.
            read.limitExceeded = "Reading the images took more than " + IngestOptions.LIMITS_OCR_TIME_PER_DOCUMENT.key() + "=" + budgetMs + " ms";
            return read;
        }
        long start = System.nanoTime();
        boolean hit = false;
        try {
            byte[] bytes = item.bytes;
            OcrCache.Result result = pool.cache.get(OcrCache.key(item.tenant, bytes), () -> reader.read(bytes));
            hit = result.hit();
            (hit ? metrics.get(OcrMetrics.CACHE_HITS) : metrics.get(OcrMetrics.CACHE_MISSES)).inc();
            read.text = result.text();
            metrics.get(OcrMetrics.IMAGES_READ).inc();
        } catch (Exception e) {
            read.failed = true;
            metrics.get(OcrMetrics.IMAGES_FAILED).inc();
            LOG.warn("Reading image {} of {} v{} failed: {}", item.index + 1, item.documentId, item.version, e.toString());
        } finally {
            read.ocrMillis = (System.nanoTime() - start) / 1_000_000;
            budget.spentMs.addAndGet(read.ocrMillis);
            if (!hit) {
                metrics.ocrTime(read.ocrMillis); // reading time, not cache look-ups
            }
        }
        return read;
    }

    /** OCR time spent on one document version, added to by its images' reads on the pool's threads. */
    private static final class DocumentBudget {
        final AtomicLong spentMs = new AtomicLong();
        /** When its latest image was handed over ({@link OcrImages#nowMs()}); task thread only. */
        long seenMs;
    }

    @Override
    public void timeout(OcrItem item, ResultFuture<OcrItem> result) {
        // The read is not wanted any more: one still queued never runs and leaves the queue with its image bytes now,
        // one under way is interrupted (tesseract is killed). Left there, each timeout admitted a new image into
        // Flink's queue while the pool's own queue grew past ingest.ocr.capacity, so later images waited behind reads
        // nobody wanted and timed out in turn.
        FutureTask<OcrItem> task = reads.remove(item);
        if (task != null) {
            task.cancel(true);
            pool.executor.remove(task);
        }
        // Index the document without this image's text rather than fail it.
        metrics.get(OcrMetrics.DOCUMENTS_TIMED_OUT).inc();
        LOG.warn("Reading image {} of {} v{} timed out; indexing the document without it", item.index + 1, item.documentId, item.version);
        // A new record: the timed-out one may still be in a reader's hands.
        OcrItem copy = item.image(item.index);
        copy.failed = true;
        result.complete(Collections.singletonList(copy));
    }
}
