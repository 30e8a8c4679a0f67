package io.streamrag.ingest.index;

import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes documents' chunks to OpenSearch in bulk requests of at most {@code maxChunks} and checks every item: items
 * rejected with 429/503 are retried with backoff ({@code itemBackoff}), other rejections are final; a request that
 * fails as a whole (OpenSearch unreachable or erroring) is retried within {@code outageBackoff}'s budget, blocking
 * the caller on purpose (see {@code IndexChunks}).
 */
public class BulkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(BulkWriter.class);

    /** One chunk to index, and the document it belongs to. */
    private static final class Item {
        final BulkOperation operation;
        final ChunkedDocument owner;
        String rejected;

        Item(BulkOperation operation, ChunkedDocument owner) {
            this.operation = operation;
            this.owner = owner;
        }
    }

    private final OpenSearchClient client;
    private final String alias;
    private final int maxChunks;
    private final Backoff outageBackoff;
    private final Backoff itemBackoff;
    private final IndexMetrics metrics;

    public BulkWriter(OpenSearchClient client, String alias, int maxChunks, Backoff outageBackoff, Backoff itemBackoff,
                      IndexMetrics metrics) {
        this.client = client;
        this.alias = alias;
        this.maxChunks = maxChunks;
        this.outageBackoff = outageBackoff;
        this.itemBackoff = itemBackoff;
        this.metrics = metrics;
    }

    /** Indexes every chunk of {@code docs}; returns the documents (by identity) some chunk of which was not written, with why. */
    public Map<ChunkedDocument, String> write(List<ChunkedDocument> docs) throws Exception {
        Map<ChunkedDocument, String> failed = new IdentityHashMap<>();
        List<Item> items = new ArrayList<>();
        for (ChunkedDocument d : docs) {
            for (Chunk c : d.chunks) {
                items.add(new Item(BulkOperation.of(o -> o.index(i -> i.index(alias).id(c.chunkId).document(c))), d));
            }
        }
        List<Item> left = itemBackoff.callRemaining(items, round -> writeRound(round, failed),
                (retry, delay, e) -> metrics.get(IndexMetrics.BULK_RETRIES).inc());
        for (Item item : left) {
            failed.putIfAbsent(item.owner, item.rejected);
        }
        return failed;
    }

    /** Sends {@code items}; records final failures in {@code failed} and returns the items to retry. */
    private List<Item> writeRound(List<Item> items, Map<ChunkedDocument, String> failed) throws Exception {
        // One large document can hold thousands of chunks: send them in requests of at most maxChunks, so a request
        // never approaches OpenSearch's size limit nor holds the whole document's JSON at once.
        List<BulkResponseItem> responses = new ArrayList<>(items.size());
        for (int from = 0; from < items.size(); from += maxChunks) {
            responses.addAll(bulk(items.subList(from, Math.min(items.size(), from + maxChunks)).stream()
                    .map(i -> i.operation).collect(Collectors.toList())).items());
        }
        List<Item> retry = new ArrayList<>();
        for (int i = 0; i < responses.size(); i++) {
            BulkResponseItem response = responses.get(i);
            if (response.error() == null) {
                metrics.get(IndexMetrics.CHUNKS_INDEXED).inc();
                continue;
            }
            metrics.get(IndexMetrics.BULK_ITEM_FAILURES).inc();
            String error = response.status() + " " + response.error().type() + ": " + response.error().reason();
            // A 200 response can still carry per-item failures: back-pressure is retried, the rest is final.
            if (response.status() == 429 || response.status() == 503) {
                items.get(i).rejected = error;
                retry.add(items.get(i));
            } else {
                failed.putIfAbsent(items.get(i).owner, error);
            }
        }
        return retry;
    }

    private BulkResponse bulk(List<BulkOperation> ops) throws Exception {
        return outageBackoff.call(() -> {
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
}
