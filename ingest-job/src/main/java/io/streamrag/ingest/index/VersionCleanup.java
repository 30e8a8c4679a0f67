package io.streamrag.ingest.index;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;

import org.opensearch.client.json.JsonData;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.opensearch.client.opensearch.core.search.Hit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Version semantics in the index: after a bulk write, older versions of the documents written go, so do chunks of the
 * very version written that the write did not produce (a re-send of a version that now makes fewer chunks, chunk ids
 * of an earlier format), and documents that failed lose their partial new version; a DELETE removes all of a
 * document's chunks. Deletes are search + bulk delete, each request retried through an outage within what is left of
 * the caller's budget ({@link Backoff.Deadline}, one per flush).
 */
public class VersionCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(VersionCleanup.class);
    private static final int DELETE_PAGE = 1000;
    /** Documents whose clean-up one delete query covers. */
    static final int CLAUSES_PER_QUERY = 64;

    private final OpenSearchClient client;
    private final String alias;
    private final IndexMetrics metrics;

    public VersionCleanup(OpenSearchClient client, String alias, IndexMetrics metrics) {
        this.client = client;
        this.alias = alias;
        this.metrics = metrics;
    }

    /**
     * After {@code docs} were written, {@code failed} (by identity) among them: removes what they replaced or left
     * half-written, a delete query per {@link #CLAUSES_PER_QUERY} of them, within what is left of {@code deadline}.
     */
    public void afterWrite(List<ChunkedDocument> docs, Set<ChunkedDocument> failed, Backoff.Deadline deadline) throws Exception {
        // The last full write of each version of a document in this flush, by its position (the bulk writes in order).
        Map<String, Integer> lastWritten = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            if (!failed.contains(docs.get(i))) {
                lastWritten.put(docs.get(i).task.key() + "@" + docs.get(i).task.version, i);
            }
        }
        List<Query> clauses = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            ChunkedDocument d = docs.get(i);
            Long previous = d.task.previousVersion;
            Integer later = failed.contains(d) ? lastWritten.get(d.task.key() + "@" + d.task.version) : null;
            if (later != null && later > i) {
                // The same version written in full after it (a re-send): its partial chunks go, not the ones the full
                // write made over them (same ids); deleting "this version" erased the document reported indexed. (A
                // full write before it had its chunks partly overwritten: the version goes, as below, the last word.)
                clauses.add(notWrittenClause(docs.get(later)));
            } else if (failed.contains(d)) {
                // Remove the partial new version, unless this very version was the indexed one (a replay).
                if (previous == null || previous < d.task.version) {
                    clauses.add(versionClause(d.task, "eq"));
                }
            } else if (previous == null ? !d.task.previousVersionKnown : previous == d.task.version) {
                // This version may have been indexed before (a re-send of it, or the indexed version is unknown): what
                // an earlier write of it left beyond this write's chunks (it made more chunks then, or ids of an earlier
                // format) goes, and so does any older version.
                clauses.add(notWrittenClause(d));
            } else if (previous != null && previous < d.task.version) {
                clauses.add(versionClause(d.task, "lt"));
            }
            // Nothing to clean up when the gate knows this is the document's first version.
        }
        // A query per CLAUSES_PER_QUERY documents: each clause is 3-4 leaf queries, and a flush of hundreds of
        // single-chunk documents in one query would pass the node's limit (indices.query.bool.max_clause_count, 1024
        // leaves), an error no retry mends, which would fail the job on the same batch after every restore.
        for (int from = 0; from < clauses.size(); from += CLAUSES_PER_QUERY) {
            List<Query> some = clauses.subList(from, Math.min(clauses.size(), from + CLAUSES_PER_QUERY));
            deleteByQuery(Query.of(q -> q.bool(b -> b.should(some).minimumShouldMatch("1"))), deadline);
        }
    }

    /** Removes every chunk of the task's document (its tenant's only); returns how many. */
    public long deleteDocument(DocumentTask task, Backoff.Deadline deadline) throws Exception {
        long deleted = deleteByQuery(Query.of(q -> q.bool(b -> b.filter(ChunkIndex.documentFilter(task.tenant, task.documentId)))),
                deadline);
        LOG.debug("DELETE {} removed {} chunks", task, deleted);
        return deleted;
    }

    private static Query versionClause(DocumentTask task, String op) {
        List<Query> clauses = ChunkIndex.documentFilter(task.tenant, task.documentId);
        clauses.add("eq".equals(op)
                ? Query.of(q -> q.term(t -> t.field(ChunkIndex.VERSION).value(FieldValue.of(task.version))))
                : Query.of(q -> q.range(r -> r.field(ChunkIndex.VERSION).lt(JsonData.of(task.version)))));
        return Query.of(q -> q.bool(b -> b.filter(clauses)));
    }

    /** The document's chunks of its version or older whose ids are not among the chunks just written. */
    private static Query notWrittenClause(ChunkedDocument d) {
        List<Query> clauses = ChunkIndex.documentFilter(d.task.tenant, d.task.documentId);
        clauses.add(Query.of(q -> q.range(r -> r.field(ChunkIndex.VERSION).lte(JsonData.of(d.task.version)))));
        List<String> written = d.chunks.stream().map(c -> c.chunkId).collect(Collectors.toList());
        return Query.of(q -> q.bool(b -> {
            b.filter(clauses);
            if (!written.isEmpty()) {
                b.mustNot(n -> n.ids(i -> i.values(written)));
            }
            return b;
        }));
    }

    /**
     * Deletes every chunk matching {@code query}: refresh (so chunks written in the last refresh interval are
     * visible), search ids, bulk-delete them, repeat until none match; each request retried through an outage within
     * what is left of {@code deadline}. Not {@code _delete_by_query}: that lives in the {@code reindex} module, which
     * minimal distributions (the local integ-test one) do not ship.
     */
    private long deleteByQuery(Query query, Backoff.Deadline deadline) throws Exception {
        long start = System.nanoTime();
        long deleted = 0;
        for (int round = 0; round < 10_000; round++) {
            // Each request retried on its own: the budget keeps room for one more call, not for two.
            retried(deadline, () -> client.indices().refresh(r -> r.index(alias)));
            // "No hits" from the shards that answered is not enough when a shard under load did not: its chunks would
            // stay searchable. That is retried; a shard failure no retry mends is logged and the rest taken.
            List<Hit<Chunk>> hits = retried(deadline, () -> OpenSearchClients.allShards(client.search(s -> s.index(alias).size(DELETE_PAGE)
                    .source(src -> src.fetch(false)).query(query), Chunk.class), "Searching the chunks to delete").hits().hits());
            if (hits.isEmpty()) {
                break;
            }
            List<BulkOperation> deletes = new ArrayList<>();
            for (Hit<Chunk> h : hits) {
                deletes.add(BulkOperation.of(o -> o.delete(d -> d.index(h.index()).id(h.id()))));
            }
            retried(deadline, () -> {
                BulkResponse r = client.bulk(b -> b.operations(deletes));
                for (BulkResponseItem item : r.items()) {
                    if (item.error() == null || item.status() == 404) {
                        continue;
                    }
                    String error = "Deleting chunk " + item.id() + " failed: " + BulkWriter.describe(item);
                    // OpenSearch's own failure (429, 5xx, a write block's 403, a closed index's 400) is retried like
                    // an outage; another is not waited out.
                    if (OpenSearchClients.transientError(item.status(), item.error().type())) {
                        throw new IOException(error);
                    }
                    throw new IllegalStateException(error);
                }
                return null;
            });
            deleted += hits.size();
        }
        metrics.get(IndexMetrics.DELETE_BY_QUERY_LATENCY_MS).update((System.nanoTime() - start) / 1_000_000);
        return deleted;
    }

    private <T> T retried(Backoff.Deadline deadline, Callable<T> request) throws Exception {
        return deadline.call(request, OpenSearchClients::retriable, (retry, delay, e) -> {
            metrics.get(IndexMetrics.REQUEST_RETRIES).inc();
            LOG.warn("Deleting old chunks failed (retry {} in {} ms): {}", retry + 1, delay, e.toString());
        });
    }
}
