package io.streamrag.ingest.functions;

import io.streamrag.common.embedding.EmbeddingOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.opensearch.client.json.JsonData;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.opensearch.client.opensearch.core.search.Hit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes embedded chunks to OpenSearch in bulk requests (by chunk count, bytes and time; flushed before every
 * checkpoint barrier and at end of input, so a completed checkpoint means the data is in the index) and then
 * applies version semantics: a new version deletes the document's older versions, a DELETE removes all its chunks
 * (search + bulk delete, see {@link #deleteByQuery}).
 *
 * <p>Why an operator and not a Sink V2 writer: a sink cannot emit, and every document must end as exactly one
 * outcome — per-item bulk failures become dead letters through the side output and successes become outcomes
 * downstream, with the same delivery guarantee as everything else. Items rejected with 429/503 are retried with
 * backoff and then dead-lettered.
 *
 * <p>Outages: a request that fails as a whole (connection refused, timeout, 5xx) is retried with backoff for
 * {@code index.retry-budget} on the task thread. That blocks this operator on purpose: its documents stay in the
 * buffer, back-pressure stops the source, and the checkpoint barrier waits behind the retry (the job raises its
 * checkpoint timeout above the budget), so the job waits instead of restarting. Only past the budget does the job
 * fail and replay from the last checkpoint (deterministic ids make the replay idempotent).
 */
public class IndexChunks extends BufferingOperator<DocumentOutcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(IndexChunks.class);
    private static final int DELETE_PAGE = 1000;

    private final Configuration conf;
    private final String alias;
    private final int maxChunks;
    private final long maxBytes;
    private final Backoff itemBackoff;
    private final Backoff outageBackoff;

    private transient OpenSearchClient client;
    private transient IndexMetrics metrics;

    public IndexChunks(Configuration conf, String alias) {
        super(conf.get(IngestOptions.BULK_FLUSH_INTERVAL).toMillis());
        this.conf = conf;
        this.alias = alias;
        this.maxChunks = conf.get(IngestOptions.BULK_MAX_CHUNKS);
        this.maxBytes = conf.get(IngestOptions.BULK_MAX_BYTES);
        this.outageBackoff = IngestOptions.openSearchBackoff(conf);
        this.itemBackoff = outageBackoff.withMaxRetries(conf.get(IngestOptions.BULK_MAX_RETRIES));
    }

    @Override
    public void open() throws Exception {
        super.open();
        client = OpenSearchClients.create(conf);
        ChunkIndex.ensure(client, alias, conf.get(EmbeddingOptions.DIMENSION),
                conf.get(IngestOptions.INDEX_SHARDS), conf.get(IngestOptions.INDEX_REPLICAS));
        metrics = new IndexMetrics(getMetricGroup());
    }

    @Override
    public void close() throws Exception {
        OpenSearchClients.close(client);
        super.close();
    }

    @Override
    public void processElement(StreamRecord<ChunkedDocument> element) throws Exception {
        ChunkedDocument doc = element.getValue();
        if (doc.task.isDelete()) {
            // Order matters: whatever is buffered (maybe an older version of this document) goes first.
            flush();
            delete(doc);
            return;
        }
        add(doc);
    }

    @Override
    protected long bytesOf(ChunkedDocument doc) {
        long bytes = 0;
        for (Chunk c : doc.chunks) {
            bytes += 200 + 2L * c.text.length() + (c.embedding == null ? 0 : 12L * c.embedding.length);
        }
        return bytes;
    }

    @Override
    protected boolean isFull(int chunks, long bytes) {
        return chunks >= maxChunks || bytes >= maxBytes;
    }

    @Override
    protected void flush(List<ChunkedDocument> docs) throws Exception {
        Map<ChunkedDocument, String> failed = new IdentityHashMap<>();
        List<BulkOperation> pending = new ArrayList<>();
        List<ChunkedDocument> pendingOwner = new ArrayList<>();
        for (ChunkedDocument d : docs) {
            for (Chunk c : d.chunks) {
                pending.add(BulkOperation.of(o -> o.index(i -> i.index(alias).id(c.chunkId).document(c))));
                pendingOwner.add(d);
            }
        }
        long start = System.nanoTime();
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            // One large document can hold thousands of chunks: send them in requests of at most maxChunks, so a
            // request never approaches OpenSearch's size limit nor holds the whole document's JSON at once.
            List<BulkResponseItem> items = new ArrayList<>(pending.size());
            for (int from = 0; from < pending.size(); from += maxChunks) {
                items.addAll(bulkWithRetries(pending.subList(from, Math.min(pending.size(), from + maxChunks))).items());
            }
            List<BulkOperation> retry = new ArrayList<>();
            List<ChunkedDocument> retryOwner = new ArrayList<>();
            long delay = itemBackoff.nextDelayMs(attempt, start);
            for (int i = 0; i < items.size(); i++) {
                BulkResponseItem item = items.get(i);
                if (item.error() == null) {
                    metrics.chunksIndexed.inc();
                    continue;
                }
                metrics.bulkItemFailures.inc();
                // A 200 response can still carry per-item failures: back-pressure is retried, the rest is final.
                if ((item.status() == 429 || item.status() == 503) && delay >= 0) {
                    retry.add(pending.get(i));
                    retryOwner.add(pendingOwner.get(i));
                } else {
                    failed.putIfAbsent(pendingOwner.get(i), item.status() + " " + item.error().type() + ": " + item.error().reason());
                }
            }
            pending = retry;
            pendingOwner = retryOwner;
            if (!pending.isEmpty()) {
                metrics.bulkRetries.inc();
                Thread.sleep(delay);
            }
        }

        // Versions: older versions of indexed documents go; failed documents lose their partial new version.
        List<Query> clauses = new ArrayList<>();
        for (ChunkedDocument d : docs) {
            Long previous = d.task.previousVersion;
            if (failed.containsKey(d)) {
                // Remove the partial new version, unless this very version was the indexed one (a replay).
                if (previous == null || previous < d.task.version) {
                    clauses.add(versionClause(d, "eq"));
                }
            } else if (previous == null ? !d.task.previousVersionKnown : previous < d.task.version) {
                // Nothing to clean up when the gate knows this is the document's first version.
                clauses.add(versionClause(d, "lt"));
            }
        }
        if (!clauses.isEmpty()) {
            deleteByQuery(Query.of(q -> q.bool(b -> b.should(clauses).minimumShouldMatch("1"))));
        }

        long now = System.currentTimeMillis();
        for (ChunkedDocument d : docs) {
            String error = failed.get(d);
            if (error != null) {
                LOG.warn("Indexing {} failed: {}", d.task, error);
                FailedDocument f = DeadLetters.of(d.task, DeadLetters.INDEX, "IndexingFailed", error);
                output.collect(DeadLetters.TAG, new StreamRecord<>(f));
            } else {
                long lag = now - d.task.eventTime;
                metrics.freshnessLagMs.update(lag);
                metrics.lastFreshnessLagMs = lag;
                DocumentOutcome o = DocumentOutcome.of(d.task, DocumentOutcome.INDEXED);
                o.chunks = d.chunks.size();
                output.collect(new StreamRecord<>(o));
            }
        }
    }

    private Query versionClause(ChunkedDocument d, String op) {
        Query doc = Query.of(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(d.task.documentId))));
        Query tenant = Query.of(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(d.task.tenant))));
        Query version = "eq".equals(op)
                ? Query.of(q -> q.term(t -> t.field(ChunkIndex.VERSION).value(FieldValue.of(d.task.version))))
                : Query.of(q -> q.range(r -> r.field(ChunkIndex.VERSION).lt(JsonData.of(d.task.version))));
        return Query.of(q -> q.bool(b -> b.filter(doc, tenant, version)));
    }

    private void delete(ChunkedDocument d) throws Exception {
        Query doc = Query.of(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(d.task.documentId))));
        Query tenant = Query.of(q -> q.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(d.task.tenant))));
        long deleted = deleteByQuery(Query.of(q -> q.bool(b -> b.filter(doc, tenant))));
        LOG.debug("DELETE {} removed {} chunks", d.task, deleted);
        DocumentOutcome o = DocumentOutcome.of(d.task, DocumentOutcome.DELETED);
        o.chunks = (int) deleted;
        output.collect(new StreamRecord<>(o));
    }

    /**
     * Deletes every chunk matching {@code query}: refresh (so chunks written in the last refresh interval are
     * visible), search ids, bulk-delete them, repeat until none match. Not {@code _delete_by_query}: that lives in
     * the {@code reindex} module, which minimal distributions (the local integ-test one) do not ship.
     */
    private long deleteByQuery(Query query) throws Exception {
        return outageBackoff.call(() -> {
            long start = System.nanoTime();
            long deleted = 0;
            for (int round = 0; round < 10_000; round++) {
                client.indices().refresh(r -> r.index(alias));
                List<Hit<Chunk>> hits = client.search(s -> s.index(alias).size(DELETE_PAGE)
                        .source(src -> src.fetch(false)).query(query), Chunk.class).hits().hits();
                if (hits.isEmpty()) {
                    break;
                }
                List<BulkOperation> deletes = new ArrayList<>();
                for (Hit<Chunk> h : hits) {
                    deletes.add(BulkOperation.of(o -> o.delete(d -> d.index(h.index()).id(h.id()))));
                }
                BulkResponse r = client.bulk(b -> b.operations(deletes));
                for (BulkResponseItem item : r.items()) {
                    if (item.error() != null && item.status() != 404) {
                        throw new IOException("Deleting chunk " + item.id() + " failed: " + item.status() + " " + item.error().reason());
                    }
                }
                deleted += hits.size();
            }
            metrics.deleteLatencyMs.update((System.nanoTime() - start) / 1_000_000);
            return deleted;
        }, IndexChunks::retriable, (retry, delay, e) -> {
            metrics.requestRetries.inc();
            LOG.warn("Deleting old chunks failed (retry {} in {} ms): {}", retry + 1, delay, e.toString());
        });
    }

    /** Failures worth waiting out: I/O (refused, reset, timeout) and server-side errors; not malformed requests. */
    static boolean retriable(Exception e) {
        if (e instanceof OpenSearchException) {
            return ((OpenSearchException) e).status() >= 500 || ((OpenSearchException) e).status() == 429;
        }
        return e instanceof IOException;
    }

    private BulkResponse bulkWithRetries(List<BulkOperation> ops) throws Exception {
        return outageBackoff.call(() -> {
            long start = System.nanoTime();
            BulkResponse r = client.bulk(b -> b.operations(ops));
            metrics.bulkRequests.inc();
            metrics.bulkLatencyMs.update((System.nanoTime() - start) / 1_000_000);
            return r;
        }, IndexChunks::retriable, (retry, delay, e) -> {
            metrics.requestRetries.inc();
            LOG.warn("Bulk request of {} items failed (retry {} in {} ms): {}", ops.size(), retry + 1, delay, e.toString());
        });
    }
}
