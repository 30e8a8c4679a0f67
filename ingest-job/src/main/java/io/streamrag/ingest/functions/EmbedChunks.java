package io.streamrag.ingest.functions;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.records.Chunk;
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

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embeds chunks in batches that span documents: documents wait until {@code batchSize} chunks are buffered or
 * {@code maxDelay} passed. The buffer is flushed before every checkpoint barrier and at end of input, so no state
 * is needed and nothing buffered can be lost. Documents leave whole and in arrival order.
 */
public class EmbedChunks extends BufferingOperator<ChunkedDocument, ChunkedDocument> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EmbedChunks.class);

    private final EmbeddingSettings modelSettings;
    private final int batchSize;

    private transient EmbeddingModel model;
    private transient EmbedMetrics metrics;

    public EmbedChunks(EmbeddingSettings modelSettings, int batchSize, long maxDelayMs) {
        super(maxDelayMs);
        this.modelSettings = modelSettings;
        this.batchSize = Math.max(1, batchSize);
    }

    @Override
    public void open() throws Exception {
        super.open();
        model = EmbeddingModels.create(modelSettings);
        metrics = new EmbedMetrics(getMetricGroup());
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
    protected void flush(List<StreamRecord<ChunkedDocument>> batch) {
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
            List<Chunk> call = all.subList(from, Math.min(all.size(), from + batchSize));
            try {
                embed(call);
            } catch (RuntimeException e) {
                // Find the culprit: retry each document of the call on its own.
                for (Chunk c : call) {
                    ChunkedDocument d = owner.get(c);
                    if (failed.containsKey(d) || c.embedding != null) {
                        continue;
                    }
                    try {
                        embed(d.chunks.stream().filter(x -> x.embedding == null).collect(java.util.stream.Collectors.toList()));
                    } catch (RuntimeException again) {
                        failed.put(d, again.toString());
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
