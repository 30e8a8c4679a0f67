package io.streamrag.ingest.functions;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.IngestOutcome.Outcome;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.index.BulkWriter;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.index.VersionCleanup;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.DeadLetters.Stage;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Writes embedded chunks to OpenSearch in bulk requests (by chunk count, bytes and time; flushed before every
 * checkpoint barrier and at end of input, so a completed checkpoint means the data is in the index) through
 * {@link BulkWriter}, then applies version semantics through {@link VersionCleanup}: a new version deletes the
 * document's older versions, a DELETE removes all its chunks.
 *
 * <p>Why an operator and not a Sink V2 writer: a sink cannot emit, and every document must end as exactly one
 * outcome — per-item bulk failures become dead letters through the side output and successes become outcomes
 * downstream, with the same delivery guarantee as everything else. Only item errors the document caused (a 4xx such
 * as {@code mapper_parsing_exception}) dead-letter it; items rejected with 429 or 5xx are OpenSearch's outage, below.
 *
 * <p>Outages: a request that fails as a whole (connection refused, timeout, 5xx) and bulk items rejected with 429 or
 * 5xx (a full write queue, a red index) are retried with backoff on the task thread, within one
 * {@code ingest.index.retry-budget} per flush (or per DELETE, which flushes first): every request of it (the index
 * check, each bulk request and item retry, the clean-up) uses what is left of that one budget, less the longest
 * request, so a flush that keeps failing ends within the budget. That blocks this operator on purpose: its documents
 * stay in the buffer, back-pressure stops the source, and the checkpoint barrier waits behind the retry (the job
 * raises its checkpoint timeout to the budget + 2 min), so the job waits instead of restarting. Only past the budget
 * does the job fail and replay from the last checkpoint (deterministic ids make the replay idempotent), and the
 * quarantine's outage probe keeps that failure from being counted against the documents in flight.
 *
 * <p>Visibility: once its writes pause for {@code ingest.index.refresh-after-write}, it refreshes the index itself
 * (a timer), rather than leave the last chunks written to the index's next scheduled refresh: a trickled document is
 * searchable ~0.4 s sooner and so are the last documents of a backlog. Documents the embedder sent in a batch that
 * several documents filled ({@link ChunkedDocument#backlog}) do not ask for that refresh: a backlog's writes come a
 * burst per embedding batch, further apart than the pause, and refreshing after each burst cost ~4 times the index's
 * own schedule in refreshes and segments (figures in the README); its chunks become searchable on the index's
 * schedule, and its last, partial batch gets the refresh (a bounded run refreshes at its end in any case). A failed
 * refresh is only counted: the index's schedule makes the chunks searchable soon after.
 */
public class IndexChunks extends IndexBufferingOperator<ChunkedDocument, DocumentOutcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(IndexChunks.class);
    /** How long the start's check of the index's embedding dimension waits for each of its requests. */
    static final Duration DIMENSION_CHECK_TIMEOUT = Duration.ofSeconds(5);

    private transient IndexMetrics metrics;
    private transient BulkWriter writer;
    private transient VersionCleanup cleanup;
    /** Processing time of the last write, and whether a timer is set to refresh once writes pause. */
    private transient long lastWrite;
    private transient boolean refreshScheduled;
    /** Whether chunks were written since this operator's last refresh (a backlog's wait for the index's schedule). */
    private transient boolean writtenSinceRefresh;
    /** Whether this task has made sure the index exists. */
    private transient boolean indexReady;
    /** The retry budget of the DELETE being processed, which its flush shares; null otherwise. */
    private transient Backoff.Deadline step;

    public IndexChunks(IndexSettings index) {
        super(index, index.bulkFlushInterval().toMillis());
    }

    @Override
    public void open() throws Exception {
        super.open();
        indexReady = false; // made sure of before the first write, not here (see ensureIndex)
        metrics = new IndexMetrics(getMetricGroup());
        writer = new BulkWriter(client, index.alias(), index.bulkMaxChunks(), metrics);
        cleanup = new VersionCleanup(client, index.alias(), metrics);
        checkDimension();
    }

    /**
     * Fails the task here, at its start, when the index already exists with vectors of another dimension than
     * {@code embedding.dimension}: OpenSearch would reject every chunk, and each document was dead-lettered
     * (index/IndexingFailed) while the job ran on. {@link #ensureIndex} checks it as well, but in a flush: its failure
     * restarts the job, and this check then stops it at the start, before the replayed documents reach the quarantine's
     * releases (failing in the flush at every restart, the job would have had them convicted as poison one by one).
     * Best effort: when OpenSearch does not answer (within {@link #DIMENSION_CHECK_TIMEOUT}), the task opens and its first
     * write waits for it, as before.
     */
    private void checkDimension() {
        var quick = OpenSearchClients.create(OpenSearchClients.settings(index.connection()), DIMENSION_CHECK_TIMEOUT);
        try {
            ChunkIndex.requireDimension(quick, index.alias(), index.dimension());
        } catch (ChunkIndex.DimensionMismatchException e) {
            throw e;
        } catch (Exception e) {
            LOG.info("Could not compare the embedding dimension of {} at start ({}); the first write does", index.alias(), e.toString());
        } finally {
            try {
                OpenSearchClients.close(quick);
            } catch (RuntimeException e) {
                LOG.debug("Closing the client of the dimension check failed", e);
            }
        }
    }

    @Override
    public void finish() throws Exception {
        super.finish();
        if (writtenSinceRefresh) {
            refreshScheduled = false;
            refresh(); // a bounded run ends here: do not leave its last chunks to a timer or the index's schedule
        }
    }

    @Override
    public void processElement(StreamRecord<ChunkedDocument> element) throws Exception {
        ChunkedDocument doc = element.getValue();
        if (doc.task.isDelete()) {
            // One budget for the flush and the delete: the barrier behind them waits for both.
            step = index.outageBackoff().start();
            try {
                // Order matters: whatever is buffered (maybe an older version of this document) goes first.
                flush();
                ensureIndex(step);
                DocumentOutcome o = DocumentOutcome.of(doc.task, Outcome.DELETED);
                o.chunks = (int) cleanup.deleteDocument(doc.task, step);
                output.collect(new StreamRecord<>(o));
            } finally {
                step = null;
            }
            return;
        }
        add(element);
    }

    @Override
    protected long bytesOf(ChunkedDocument doc) {
        long bytes = 0;
        for (Chunk c : doc.chunks) {
            bytes += 200 + 2L * (c.text.length() + length(c.title) + length(c.section))
                    + (c.embedding == null ? 0 : 12L * c.embedding.length);
        }
        return bytes;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    @Override
    protected int itemsOf(ChunkedDocument doc) {
        return doc.chunks.size();
    }

    @Override
    protected boolean isFull(int chunks, long bytes) {
        return chunks >= index.bulkMaxChunks() || bytes >= index.bulkMaxBytes();
    }

    @Override
    protected void flush(List<StreamRecord<ChunkedDocument>> batch) throws Exception {
        List<ChunkedDocument> docs = values(batch);
        // One retry budget for every request of this flush (within a DELETE's, when it flushes first).
        Backoff.Deadline deadline = step != null ? step : index.outageBackoff().start();
        ensureIndex(deadline);
        Map<ChunkedDocument, String> failed = writer.write(docs, deadline);
        // Versions: older versions of indexed documents go (and what an earlier write of the same version left);
        // failed documents lose their partial new version.
        cleanup.afterWrite(docs, failed.keySet(), deadline);
        if (failed.size() < docs.size()) {
            refreshAfterWrite(docs.stream().anyMatch(d -> !d.backlog));
        }

        long now = System.currentTimeMillis();
        for (ChunkedDocument d : docs) {
            String error = failed.get(d);
            if (error != null) {
                LOG.warn("Indexing {} failed: {}", d.task, error);
                FailedDocument f = DeadLetters.of(d.task, Stage.INDEX, DocumentError.INDEXING_FAILED, error);
                output.collect(DeadLetters.TAG, new StreamRecord<>(f));
            } else {
                long lag = now - d.task.eventTime;
                metrics.get(IndexMetrics.FRESHNESS_LAG_MS).update(lag);
                metrics.lastFreshnessLagMs = lag;
                DocumentOutcome o = DocumentOutcome.of(d.task, Outcome.INDEXED);
                o.chunks = d.chunks.size();
                output.collect(new StreamRecord<>(o));
            }
        }
    }

    /**
     * Creates the index (and its alias) if it does not exist, before this task's first write, retried like a bulk
     * request within what is left of the flush's {@code deadline}. Done in {@code open()}, it failed the task at once while
     * OpenSearch was down, so an outage restarted the job every restart delay (11 restores in a 108 s outage) instead
     * of holding its documents, back-pressured, for the budget like the writes do.
     */
    private void ensureIndex(Backoff.Deadline deadline) throws Exception {
        if (indexReady) {
            return;
        }
        deadline.call(() -> {
            ChunkIndex.ensure(client, index.alias(), index.dimension(), index.shards(), index.replicas());
            return null;
        }, OpenSearchClients::retriable, (retry, delay, e) -> {
            metrics.get(IndexMetrics.REQUEST_RETRIES).inc();
            LOG.warn("Checking the index {} failed (retry {} in {} ms): {}", index.alias(), retry + 1, delay, e.toString());
        });
        indexReady = true;
    }

    /**
     * Notes a write; a timer refreshes once no write came for the interval (re-armed while writes keep coming). Only a
     * write with documents outside a backlog ({@code wanted}) sets the timer; any write delays a timer already set.
     */
    private void refreshAfterWrite(boolean wanted) {
        long pause = index.refreshAfterWrite().toMillis();
        if (pause <= 0) {
            return;
        }
        lastWrite = getProcessingTimeService().getCurrentProcessingTime();
        writtenSinceRefresh = true;
        if (wanted && !refreshScheduled) {
            refreshScheduled = true;
            getProcessingTimeService().registerTimer(lastWrite + pause, this::onRefreshTimer);
        }
    }

    private void onRefreshTimer(long time) {
        if (!refreshScheduled) {
            return; // finish() refreshed already
        }
        long pause = index.refreshAfterWrite().toMillis();
        if (time - lastWrite < pause) {
            getProcessingTimeService().registerTimer(lastWrite + pause, this::onRefreshTimer);
            return;
        }
        refreshScheduled = false;
        refresh();
    }

    private void refresh() {
        try {
            client.indices().refresh(r -> r.index(index.alias()));
            writtenSinceRefresh = false;
            metrics.get(IndexMetrics.REFRESHES).inc();
        } catch (IOException | RuntimeException e) {
            metrics.get(IndexMetrics.REFRESH_FAILURES).inc();
            LOG.debug("Refresh of {} failed (the index's own schedule applies): {}", index.alias(), e.toString());
        }
    }
}
