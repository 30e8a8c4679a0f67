package io.streamrag.ingest.index;

import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.ErrorCause;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Writes documents' chunks to OpenSearch in bulk requests of at most {@code maxChunks} and checks every item of every
 * response. All requests of one {@link #write} share the caller's budget ({@link Backoff.Deadline}, one per flush):
 *
 * <ul>
 *   <li>a request that fails as a whole (OpenSearch unreachable or erroring) is retried within it;</li>
 *   <li>an item OpenSearch rejects with 429 or 5xx, or because the index is blocked or closed
 *       ({@link OpenSearchClients#transientError}: a full write queue, a flood-stage block, a red index's unavailable
 *       shards, {@code cluster_block_exception} 403 of {@code index.blocks.write}, {@code index_closed_exception} 400)
 *       is OpenSearch failing, not the document: it is retried within the same budget, and when items are still
 *       rejected at its end {@link #write} throws, so the job fails over like after a failed request, instead of
 *       dead-lettering every document written during the outage; but not an item a later one of the same flush
 *       replaces (the same chunk id: a version re-sent in the flush), which would land on top of it;</li>
 *   <li>any other item error (a 4xx such as {@code mapper_parsing_exception}) is the document's: it is final at once
 *       and the document is reported with why.</li>
 * </ul>
 *
 * Retrying blocks the caller on purpose (see {@code IndexChunks}).
 */
public class BulkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BulkWriter.class);
    /** Distinct item errors a message names, at most. */
    private static final int ERRORS_NAMED = 5;

    /** One chunk to index, and the document it belongs to. */
    private static final class Item {
        final String id;
        final BulkOperation operation;
        final ChunkedDocument owner;
        /** The last transient rejection (status, type, reason and causes), while the item waits for a retry. */
        String rejected;

        Item(String id, BulkOperation operation, ChunkedDocument owner) {
            this.id = id;
            this.operation = operation;
            this.owner = owner;
        }
    }

    private final OpenSearchClient client;
    private final String alias;
    private final int maxChunks;
    private final IndexMetrics metrics;

    public BulkWriter(OpenSearchClient client, String alias, int maxChunks, IndexMetrics metrics) {
        this.client = client;
        this.alias = alias;
        this.maxChunks = Math.max(1, maxChunks);
        this.metrics = metrics;
    }

    /**
     * Indexes every chunk of {@code docs} within what is left of {@code deadline}; returns the documents (by identity)
     * some chunk of which OpenSearch refused for a reason of the document's own, with why. Throws when OpenSearch
     * still fails at the end of the budget: a request, or items rejected as an outage (429/5xx, a block, a closed index).
     */
    public Map<ChunkedDocument, String> write(List<ChunkedDocument> docs, Backoff.Deadline deadline) throws Exception {
        Map<ChunkedDocument, String> failed = new IdentityHashMap<>();
        List<Item> items = new ArrayList<>();
        // The last item of each chunk id: a document re-sent within one flush (the same version) has the same ids.
        Map<String, Item> last = new HashMap<>();
        for (ChunkedDocument d : docs) {
            for (Chunk c : d.chunks) {
                Item item = new Item(c.chunkId, BulkOperation.of(o -> o.index(i -> i.index(alias).id(c.chunkId).document(c))), d);
                items.add(item);
                last.put(c.chunkId, item);
            }
        }
        AtomicReference<List<Item>> rejected = new AtomicReference<>(List.of()); // the last round's, for the log
        List<Item> left = deadline.callRemaining(items, round -> {
            List<Item> retry = writeRound(round, failed, last, deadline);
            rejected.set(retry);
            return retry;
        }, (retry, delay, e) -> {
            metrics.get(IndexMetrics.BULK_RETRIES).inc();
            LOG.warn("OpenSearch rejected {} chunks with a transient error, e.g. {} (retry {} in {} ms)",
                    rejected.get().size(), rejected.get().get(0).rejected, retry + 1, delay);
        });
        if (!left.isEmpty()) {
            throw new IOException("OpenSearch kept rejecting " + left.size() + " chunks of "
                    + left.stream().map(i -> i.owner).distinct().count() + " documents with transient errors (429/5xx, a write block, a closed index) for the retry budget ("
                    + deadline.budget() + " per flush); failing the job, which replays from its last checkpoint. Errors: "
                    + summary(left));
        }
        return failed;
    }

    /**
     * Sends {@code items}; records the documents' own errors in {@code failed} and returns the items to retry, but none
     * that a later item of the flush ({@code last}: the last item of each id) replaces.
     */
    private List<Item> writeRound(List<Item> items, Map<ChunkedDocument, String> failed, Map<String, Item> last,
                                  Backoff.Deadline deadline) throws Exception {
        // A document that failed for its own error is dead-lettered whatever happens to its other chunks: not resent.
        List<Item> sent = items.stream().filter(i -> !failed.containsKey(i.owner)).collect(Collectors.toList());
        List<Item> retry = new ArrayList<>();
        // One large document can hold thousands of chunks: send them in requests of at most maxChunks, so a request
        // never approaches OpenSearch's size limit nor holds the whole document's JSON at once.
        for (int from = 0; from < sent.size(); from += maxChunks) {
            List<Item> request = sent.subList(from, Math.min(sent.size(), from + maxChunks));
            List<BulkResponseItem> responses = bulk(request.stream().map(i -> i.operation).collect(Collectors.toList()), deadline).items();
            if (responses.size() != request.size()) {
                // Items are matched to operations by position: a response that does not answer each one checks none.
                throw new IOException("OpenSearch answered a bulk request of " + request.size() + " operations with "
                        + responses.size() + " items");
            }
            for (int i = 0; i < responses.size(); i++) {
                BulkResponseItem response = responses.get(i);
                Item item = request.get(i);
                if (response.error() == null) {
                    metrics.get(IndexMetrics.CHUNKS_INDEXED).inc();
                    continue;
                }
                metrics.get(IndexMetrics.BULK_ITEM_FAILURES).inc();
                String error = describe(response);
                // A 200 response can still carry per-item failures: OpenSearch's own (429, 5xx, a write block's 403, a
                // closed index's 400) are retried like an outage, the document's (another 4xx) are final.
                if (OpenSearchClients.transientError(response.status(), response.error().type())) {
                    item.rejected = error;
                    retry.add(item);
                } else {
                    failed.putIfAbsent(item.owner, error);
                }
            }
        }
        // A later copy of the chunk (the same version re-sent in this flush, maybe with other content) was written in
        // its place, or is retried itself: resent, this one would land on top of it, and the document reported indexed
        // last would show the earlier event's text.
        // Unless that later copy's document failed for its own error: then this chunk is still to be written.
        retry.removeIf(item -> failed.containsKey(item.owner) || last.get(item.id) != item && !failed.containsKey(last.get(item.id).owner));
        return retry;
    }

    private BulkResponse bulk(List<BulkOperation> ops, Backoff.Deadline deadline) throws Exception {
        return deadline.call(() -> {
            long start = System.nanoTime();
            BulkResponse r = client.bulk(b -> b.operations(ops));
            metrics.get(IndexMetrics.BULK_REQUESTS).inc();
            metrics.get(IndexMetrics.BULK_LATENCY_MS).update((System.nanoTime() - start) / 1_000_000);
            return r;
        }, OpenSearchClients::retriable, (retry, delay, e) -> {
            metrics.get(IndexMetrics.REQUEST_RETRIES).inc();
            LOG.warn("Bulk request of {} items failed (retry {} in {} ms): {}", ops.size(), retry + 1, delay, e.toString());
        });
    }

    /** An item's error: its status, type and reason, then each cause's ({@code caused_by}), e.g. the mapping that refused it. */
    static String describe(BulkResponseItem item) {
        StringBuilder s = new StringBuilder().append(item.status());
        ErrorCause cause = item.error();
        for (int depth = 0; cause != null && depth < 5; depth++, cause = cause.causedBy()) {
            s.append(depth == 0 ? " " : "; caused by ").append(cause.type()).append(": ").append(cause.reason());
        }
        return s.toString();
    }

    /** The distinct errors of {@code items}, most frequent first, each with how many items had it. */
    private static String summary(List<Item> items) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Item item : items) {
            counts.merge(String.valueOf(item.rejected), 1, Integer::sum);
        }
        String named = counts.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(ERRORS_NAMED)
                .map(e -> e.getValue() + " x " + e.getKey())
                .collect(Collectors.joining(" | "));
        return counts.size() > ERRORS_NAMED ? named + " | (" + (counts.size() - ERRORS_NAMED) + " more)" : named;
    }
}
