package io.streamrag.ingest.functions;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.metrics.VersionLookupMetrics;
import io.streamrag.ingest.records.DocumentTask;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.opensearch.client.json.JsonData;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch._types.SortOrder;
import org.opensearch.client.opensearch._types.aggregations.StringTermsBucket;
import org.opensearch.client.opensearch._types.query_dsl.Query;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.opensearch.core.search.Hit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Asks the index for the highest indexed version of documents, a batch per request, and hands each document on with it
 * in {@link DocumentTask#previousVersion} ({@link DocumentTask#previousVersionKnown} when the index answered), for
 * {@link VersionGate} to use when its state does not know the document (a state loss, a fresh job over an existing
 * index). Before the keyBy and in arrival order, so each document's versions keep their order; one search per batch
 * instead of one per document.
 */
public class VersionLookup extends IndexBufferingOperator<DocumentTask, DocumentTask> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(VersionLookup.class);

    private final int batchSize;

    private transient Backoff backoff;
    private transient VersionLookupMetrics metrics;

    public VersionLookup(IndexSettings index, int batchSize, Duration maxDelay) {
        super(index, maxDelay.toMillis());
        this.batchSize = Math.max(1, batchSize);
    }

    @Override
    public void open() throws Exception {
        super.open();
        backoff = index.outageBackoff();
        metrics = new VersionLookupMetrics(getMetricGroup());
    }

    @Override
    public void processElement(StreamRecord<DocumentTask> element) throws Exception {
        add(element);
    }

    @Override
    protected int itemsOf(DocumentTask task) {
        return 1;
    }

    @Override
    protected boolean isFull(int documents, long bytes) {
        return documents >= batchSize;
    }

    @Override
    protected void flush(List<StreamRecord<DocumentTask>> batch) throws Exception {
        List<DocumentTask> tasks = values(batch);
        Map<String, Long> indexed = new HashMap<>();
        boolean answered = indexedVersions(tasks, indexed);
        for (StreamRecord<DocumentTask> r : batch) {
            DocumentTask task = r.getValue();
            task.previousVersionKnown = answered;
            task.previousVersion = answered ? indexed.get(task.key()) : null;
            output.collect(r);
        }
    }

    /**
     * Fills {@code indexed} with the highest indexed version per document key (documents never indexed are absent);
     * true when the index answered. An unreachable or failing OpenSearch, and an answer some shards failed for a passing
     * reason ({@link OpenSearchClients#allShards}: a full search queue, a shard moving), is retried within
     * {@code ingest.index.retry-budget}, counted from the flush and keeping time for the last request (holding the batch and, by back-pressure, what follows); past the budget the
     * job fails. A request OpenSearch refuses otherwise, or an answer with a shard failure no retry mends, returns
     * false: the documents go on without a known version.
     */
    private boolean indexedVersions(List<DocumentTask> tasks, Map<String, Long> indexed) throws Exception {
        Set<String> tenants = tasks.stream().map(t -> t.tenant).collect(Collectors.toCollection(LinkedHashSet::new));
        Set<String> ids = tasks.stream().map(t -> t.documentId).collect(Collectors.toCollection(LinkedHashSet::new));
        metrics.get(VersionLookupMetrics.LOOKUPS).inc(tasks.size());
        metrics.get(VersionLookupMetrics.REQUESTS).inc();
        try {
            // Tenant, then documentId: the same documentId in two tenants is two documents. Every matching pair fits in
            // the buckets (at most ids per tenant), so the terms are exact; top_hits keeps the version a long.
            // One budget per flush, less the longest request: a lookup that keeps failing ends within the budget. A
            // shard failure OpenSearch gets over by itself (a full search queue) is retried like an outage (allShards).
            SearchResponse<Void> r = backoff.start().call(() -> OpenSearchClients.allShards(client.search(s -> s
                    .index(index.alias())
                    .size(0)
                    .trackTotalHits(t -> t.enabled(false))
                    .query(q -> q.bool(b -> b.filter(terms(ChunkIndex.TENANT, tenants), terms(ChunkIndex.DOCUMENT_ID, ids))))
                    .aggregations("tenants", a -> a
                            .terms(t -> t.field(ChunkIndex.TENANT).size(tenants.size()))
                            .aggregations("documents", d -> d
                                    .terms(t -> t.field(ChunkIndex.DOCUMENT_ID).size(ids.size()))
                                    .aggregations("latest", l -> l.topHits(h -> h
                                            .size(1)
                                            .source(src -> src.filter(f -> f.includes(ChunkIndex.VERSION)))
                                            .sort(so -> so.field(f -> f.field(ChunkIndex.VERSION).order(SortOrder.Desc))))))),
                    Void.class), "Version lookup of " + tasks.size() + " documents"), OpenSearchClients::retriable,
                    (retry, delay, e) -> LOG.warn("Version lookup of {} documents failed (retry {} in {} ms): {}", tasks.size(), retry + 1, delay, e.toString()));
            if (r.shards() != null && r.shards().failed().intValue() > 0) {
                // A shard failure no retry mends. What the answering shards hold is not all there is: a document whose
                // chunks sit on a failed shard would look never indexed (and its old version would stay). Unknown is
                // safe: clean-up removes any.
                LOG.warn("Version lookup of {} documents incomplete ({} of {} shards failed): versions unknown",
                        tasks.size(), r.shards().failed(), r.shards().total());
                return false;
            }
            for (StringTermsBucket tenant : r.aggregations().get("tenants").sterms().buckets().array()) {
                for (StringTermsBucket document : tenant.aggregations().get("documents").sterms().buckets().array()) {
                    List<Hit<JsonData>> latest = document.aggregations().get("latest").topHits().hits().hits();
                    if (!latest.isEmpty() && latest.get(0).source() != null) {
                        indexed.put(Chunk.documentKey(tenant.key(), document.key()), latest.get(0).source().to(Chunk.class).version);
                    }
                }
            }
            return true;
        } catch (OpenSearchException e) {
            if ("index_not_found_exception".equals(e.error().type())) {
                return true; // no index, no chunks
            }
            if (OpenSearchClients.retriable(e)) {
                throw e; // still failing after the retry budget
            }
            LOG.warn("Version lookup of {} documents failed: {}", tasks.size(), e.getMessage());
            return false;
        }
    }

    private static Query terms(String field, Set<String> values) {
        List<FieldValue> terms = values.stream().map(FieldValue::of).collect(Collectors.toList());
        return Query.of(q -> q.terms(t -> t.field(field).terms(v -> v.value(terms))));
    }
}
