package io.streamrag.ingest.functions;

import io.streamrag.common.embedding.EmbeddingErrors;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.metrics.EmbedMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.ChunkedDocument;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Embeds chunks in batches that span documents: documents wait until {@code batchSize} chunks are buffered or
 * {@code maxDelay} passed. The buffer is flushed before every checkpoint barrier and at end of input, so no state
 * is needed and nothing buffered can be lost. Documents leave whole and in arrival order.
 *
 * <p>Errors of a remote provider (OPENAI, OLLAMA) are sorted by {@link EmbeddingErrors}. An outage (I/O error,
 * timeout, HTTP 408/429/5xx) is waited out like an OpenSearch one ({@code IndexChunks}): the call is retried with
 * {@code outageBackoff} on the task thread, holding the batch and back-pressuring the source, and once its budget is
 * spent the operator throws, so the job fails over and replays from its last checkpoint instead of dead-lettering
 * every document of the outage. The budget counts from the start of a flush, so a flush (which a checkpoint barrier
 * waits behind) ends within it. An error the input caused (another 4xx) is narrowed down by retrying each document of
 * the call alone and dead-letters the culprit ({@code embed/EmbeddingFailed}); a wrong key or model (401/403/404)
 * fails the job at once. The in-process ONNX model has no outages: its errors all dead-letter as before.
 */
public class EmbedChunks extends BufferingOperator<ChunkedDocument, ChunkedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EmbedChunks.class);

    private final EmbeddingSettings modelSettings;
    private final int batchSize;
    private final Backoff outageBackoff;

    private transient EmbeddingModel model;
    private transient EmbedMetrics metrics;
    /** Whether errors are sorted and outages retried: only a remote provider has outages. */
    private transient boolean remote;

    /** {@code outageBackoff}: see {@code IngestOptions.embedBackoff}; only a remote provider uses it. */
    public EmbedChunks(EmbeddingSettings modelSettings, int batchSize, long maxDelayMs, Backoff outageBackoff) {
        super(maxDelayMs);
        this.modelSettings = modelSettings;
        this.batchSize = Math.max(1, batchSize);
        this.outageBackoff = outageBackoff;
    }

    @Override
    public void open() throws Exception {
        super.open();
        model = createModel();
        remote = modelSettings.provider() != Provider.ONNX;
        metrics = new EmbedMetrics(getMetricGroup());
    }

    /**
     * The model of {@code modelSettings} (tests stub it). langchain4j retries nothing: this operator retries within
     * its budget, and its own retries (unbounded in time, 3 x 60 s per call) made a hanging endpoint outlast a checkpoint.
     */
    protected EmbeddingModel createModel() {
        return EmbeddingModels.create(modelSettings, 0);
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            EmbeddingModels.release(model);
        }
    }

    @Override
    public void processElement(StreamRecord<ChunkedDocument> element) throws Exception {
        add(element);
    }

    @Override
    protected int itemsOf(ChunkedDocument doc) {
        return doc.chunks.size();
    }

    @Override
    protected boolean isFull(int chunks, long bytes) {
        return chunks >= batchSize;
    }

    @Override
    protected void flush(List<StreamRecord<ChunkedDocument>> batch) throws Exception {
        // One budget for every call of this flush (only a remote provider's are retried).
        Backoff.Deadline deadline = outageBackoff.start();
        List<ChunkedDocument> buffer = values(batch);
        List<Chunk> all = new ArrayList<>();
        Map<Chunk, ChunkedDocument> owner = new IdentityHashMap<>();
        for (ChunkedDocument d : buffer) {
            for (Chunk c : d.chunks) {
                all.add(c);
                owner.put(c, d);
            }
        }
        Map<ChunkedDocument, String> failed = new IdentityHashMap<>();
        for (int from = 0; from < all.size(); from += batchSize) {
            // Less what a culprit search of an earlier call embedded already, or found failing.
            List<Chunk> call = all.subList(from, Math.min(all.size(), from + batchSize)).stream()
                    .filter(c -> c.embedding == null && !failed.containsKey(owner.get(c))).collect(Collectors.toList());
            if (call.isEmpty() || embedOrInputError(call, deadline) == null) {
                continue;
            }
            // Find the culprit: retry each document of the call on its own, in calls of batch-size chunks as any (a
            // large document's thousands of chunks in one call went past the provider's request limits, and failed an
            // innocent document, or timed out as an outage).
            for (Chunk c : call) {
                ChunkedDocument d = owner.get(c);
                if (failed.containsKey(d) || c.embedding != null) {
                    continue;
                }
                List<Chunk> left = d.chunks.stream().filter(x -> x.embedding == null).collect(Collectors.toList());
                for (int at = 0; at < left.size(); at += batchSize) {
                    RuntimeException again = embedOrInputError(left.subList(at, Math.min(left.size(), at + batchSize)), deadline);
                    if (again != null) {
                        failed.put(d, again.toString());
                        break;
                    }
                }
            }
        }
        // Several documents filled the batch: input was arriving faster than the delay. One large document alone
        // fills it too, and is no backlog.
        boolean backlog = flushingFull() && buffer.size() > 1;
        for (ChunkedDocument d : buffer) {
            String error = failed.get(d);
            d.backlog = backlog;
            if (error != null) {
                metrics.get(EmbedMetrics.FAILURES).inc();
                LOG.warn("Embedding {} failed: {}", d.task, error);
                output.collect(DeadLetters.TAG, new StreamRecord<>(
                        DeadLetters.of(d.task, Stage.EMBED, DocumentError.EMBEDDING_FAILED, error)));
            } else {
                output.collect(new StreamRecord<>(d));
            }
        }
    }

    /**
     * Embeds {@code chunks}, retrying a remote provider's outage within what is left of the flush's budget. Returns
     * null, or the error when the input caused it (every error of the in-process model, as before); throws when the
     * provider is still failing at the end of the budget or the setup is wrong, so the job fails over.
     */
    private RuntimeException embedOrInputError(List<Chunk> chunks, Backoff.Deadline deadline) throws Exception {
        if (!remote) {
            try {
                embed(chunks);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        }
        try {
            deadline.call(() -> {
                embed(chunks);
                return null;
            }, e -> EmbeddingErrors.classify(e) == EmbeddingErrors.Kind.TRANSIENT, (retry, delay, e) -> {
                metrics.get(EmbedMetrics.RETRIES).inc();
                LOG.warn("Embedding call of {} chunks failed (retry {} in {} ms): {}", chunks.size(), retry + 1, delay, e.toString());
            });
            return null;
        } catch (RuntimeException e) {
            switch (EmbeddingErrors.classify(e)) {
                case INPUT:
                    return e;
                case TRANSIENT:
                    throw new IOException("The embedding provider (" + modelSettings.provider() + ") kept failing for the retry budget ("
                            + outageBackoff.budget() + " per flush); failing the job, which replays from its last checkpoint: " + e, e);
                default:
                    throw e;
            }
        }
    }

    private void embed(List<Chunk> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<TextSegment> segments = new ArrayList<>(batch.size());
        for (Chunk c : batch) {
            segments.add(TextSegment.from(c.text));
        }
        long start = System.nanoTime();
        List<Embedding> vectors = model.embedAll(segments).content();
        if (vectors.size() != batch.size()) {
            throw new IllegalStateException("Model returned " + vectors.size() + " vectors for " + batch.size() + " chunks");
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).embedding = vectors.get(i).vector();
        }
        metrics.get(EmbedMetrics.BATCH_LATENCY_MS).update((System.nanoTime() - start) / 1_000_000);
        metrics.get(EmbedMetrics.BATCH_SIZE).update(batch.size());
        metrics.get(EmbedMetrics.BATCHES).inc();
        metrics.get(EmbedMetrics.CHUNKS_EMBEDDED).inc(batch.size());
    }
}
