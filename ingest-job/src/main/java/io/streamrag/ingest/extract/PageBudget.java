package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;

import org.apache.flink.runtime.execution.CancelTaskException;

import java.io.IOException;

/** The extraction deadline of one document, checked inside PDFBox's operator loop (per operator and per glyph). */
public final class PageBudget {

    /**
     * Carries a {@link DocumentException} out of PDFBox's operator loop: only unchecked exceptions get through it
     * (an {@code IOException} inside a form is logged and swallowed by the {@code Do} operator).
     */
    public static final class Exceeded extends RuntimeException {
        private final DocumentException reason;

        Exceeded(DocumentException reason) {
            super(reason.getMessage(), null, false, false);
            this.reason = reason;
        }

        public DocumentException reason() {
            return reason;
        }
    }

    /** A PDFBox pass over one page. */
    public interface Pass<T> {
        T run() throws IOException;
    }

    /** The clock is read once per this many operators or glyphs (a few microseconds of work apart). */
    private static final int CHECK_EVERY = 256;

    private final long deadlineNanos;
    private int ticks;

    /**
     * @param deadlineMillis the document's deadline in {@link System#currentTimeMillis()} time, as PdfExtractor
     *     computes it; kept as a {@link System#nanoTime()} deadline so a wall-clock step cannot stretch it
     */
    public PageBudget(long deadlineMillis) {
        long leftMillis = Math.max(0, Math.min(deadlineMillis - System.currentTimeMillis(), Long.MAX_VALUE / 4 / 1_000_000L));
        this.deadlineNanos = System.nanoTime() + leftMillis * 1_000_000L;
    }

    /** One unit of work (an operator, a glyph): past the deadline, aborts the page with the document's ExtractionTimeout. */
    void tick() {
        if (++ticks % CHECK_EVERY == 0) {
            checkCancelled();
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new Exceeded(new DocumentException(DocumentError.EXTRACTION_TIMEOUT,
                        "Extraction exceeded " + IngestOptions.LIMITS_EXTRACT_TIMEOUT.key() + " (inside a page)"));
            }
        }
    }

    /**
     * The task is being cancelled (Flink interrupts its thread): stop now, not a document outcome. Extraction ignored
     * the interrupt and ran on for up to the extract timeout (300 s), past Flink's task.cancellation.timeout (180 s),
     * after which the TaskManager kills its own JVM, every job's slots on it with it, at a failover.
     */
    static void checkCancelled() {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancelTaskException("Extraction stopped: the task is being cancelled");
        }
    }

    /** Aborts the page with LimitExceeded (a per-page cap of the document's own making). */
    static Exceeded limitExceeded(String message) {
        return new Exceeded(new DocumentException(DocumentError.LIMIT_EXCEEDED, message));
    }

    /** Runs a PDFBox pass, turning an abort from this budget or a page cap into the document's outcome. */
    public static <T> T run(Pass<T> pass) throws IOException, DocumentException {
        try {
            return pass.run();
        } catch (Exceeded e) {
            throw e.reason();
        }
    }
}
