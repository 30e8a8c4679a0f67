package io.streamrag.ingest.functions;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.common.records.Chunk;
import io.streamrag.ingest.extract.Chunker;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.metrics.ChunkMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.ExtractedDocument;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.util.List;

/**
 * Splits an extracted document into token-bounded, structure-aware chunks; a document with no text, or one the chunker
 * fails on, is dead-lettered.
 */
public class ChunkDocument extends ProcessFunction<ExtractedDocument, ChunkedDocument> {
    private static final long serialVersionUID = 1L;

    private final Chunker chunker;

    private transient ChunkMetrics metrics;

    public ChunkDocument(Chunker chunker) {
        this.chunker = chunker;
    }

    @Override
    public void open(OpenContext openContext) {
        metrics = new ChunkMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(ExtractedDocument doc, Context ctx, Collector<ChunkedDocument> out) {
        ChunkedDocument chunked = new ChunkedDocument(doc.task);
        chunked.pageCount = doc.pageCount;
        chunked.imageCount = doc.images.size();
        if (!doc.task.isDelete()) {
            if (doc.limitExceeded != null) {
                ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, DocumentError.LIMIT_EXCEEDED, doc.limitExceeded));
                return;
            }
            List<Chunk> chunks;
            try {
                chunks = chunker.chunk(doc.task, doc);
            } catch (Chunker.TooManyChunks e) {
                ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, DocumentError.LIMIT_EXCEEDED,
                        e.getMessage() + " (" + IngestOptions.LIMITS_MAX_CHUNKS.key() + ")"));
                return;
            } catch (RuntimeException | StackOverflowError e) {
                // As the extractors do: a document the chunker cannot handle is that document's failure; thrown on, it
                // failed the task, and every tenant's documents with it, until the quarantine gave up on it.
                ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, DocumentError.CORRUPT_DOCUMENT,
                        "Cannot chunk the extracted text: " + e));
                return;
            }
            // An OutOfMemoryError is not caught: the text is capped (ingest.limits.max-text-bytes, 200,000 glyphs a PDF
            // page) and the chunker holds one chunk's words, so it would be the TaskManager's, not this document's
            // (Flink's own handling, e.g. taskmanager.jvm-exit-on-oom, and the quarantine take it from there).
            if (chunks.isEmpty()) {
                // Keep the previous version searchable rather than replace it by nothing.
                String why = doc.imagesFailed > 0 ? " (" + doc.imagesFailed + " images could not be read)" : "";
                ctx.output(DeadLetters.TAG, DeadLetters.of(doc.task, Stage.EXTRACT, DocumentError.NO_TEXT,
                        "No text found in " + doc.pageCount + " pages and " + doc.images.size() + " images" + why));
                return;
            }
            chunked.chunks.addAll(chunks);
            metrics.get(ChunkMetrics.CHUNKS).inc(chunks.size());
            metrics.get(ChunkMetrics.IMAGE_CHUNKS).inc(chunks.stream().filter(c -> "image".equals(c.kind)).count());
        }
        out.collect(chunked);
    }
}
