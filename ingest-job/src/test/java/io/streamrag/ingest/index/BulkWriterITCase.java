package io.streamrag.ingest.index;

import io.streamrag.common.net.LoopbackProxy;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.retry.Backoff;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.streamrag.ingest.testing.TestChunks.chunked;
import static io.streamrag.ingest.testing.TestChunks.versions;
import static org.assertj.core.api.Assertions.assertThat;

/** Bulk writing against the real OpenSearch: request size, per-item failures, and an outage waited out. */
class BulkWriterITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    private static final Backoff QUICK = Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200));

    @Test
    void writesInRequestsOfAtMostMaxChunksAndReportsTheDocumentsOfRejectedItems() throws Exception {
        String alias = OPENSEARCH.uniqueName("bulk-writer");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        IndexMetrics metrics = new IndexMetrics(new UnregisteredMetricsGroup());
        BulkWriter writer = new BulkWriter(OPENSEARCH.client(), alias, 2, metrics);

        ChunkedDocument good = chunked("acme", "good", 1, null, 5, 4);
        ChunkedDocument bad = chunked("acme", "bad", 1, null, 2, 3); // wrong dimension: HTTP 200 with failed items
        Map<ChunkedDocument, String> failed = writer.write(List.of(good, bad), QUICK.withBudget(Duration.ofSeconds(30)).start());

        assertThat(failed).containsOnlyKeys(bad);
        assertThat(failed.get(bad)).startsWith("400 ");
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "good")).containsExactly(1L, 1L, 1L, 1L, 1L);
        assertThat(metrics.get(IndexMetrics.BULK_REQUESTS).getCount()).isEqualTo(4); // 7 chunks, at most 2 per request
        assertThat(metrics.get(IndexMetrics.CHUNKS_INDEXED).getCount()).isEqualTo(5);
        assertThat(metrics.get(IndexMetrics.BULK_ITEM_FAILURES).getCount()).isEqualTo(2);
        assertThat(metrics.get(IndexMetrics.BULK_RETRIES).getCount()).isZero(); // a 400 is final
    }

    @Test
    void waitsOutAnUnreachableOpenSearch() throws Exception {
        String alias = OPENSEARCH.uniqueName("bulk-outage");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        try (LoopbackProxy proxy = LoopbackProxy.start(URI.create(OPENSEARCH.url()).getPort())) {
            OpenSearchClient client = OpenSearchClients.create(proxy.httpUrl());
            try {
                IndexMetrics metrics = new IndexMetrics(new UnregisteredMetricsGroup());
                BulkWriter writer = new BulkWriter(client, alias, 10, metrics);
                proxy.mode(LoopbackProxy.Mode.DOWN);
                ChunkedDocument doc = chunked("acme", "held", 1, null, 3, 4);
                CompletableFuture<Map<ChunkedDocument, String>> written = CompletableFuture.supplyAsync(() -> {
                    try {
                        return writer.write(List.of(doc), QUICK.withBudget(Duration.ofSeconds(60)).start());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (metrics.get(IndexMetrics.REQUEST_RETRIES).getCount() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(metrics.get(IndexMetrics.REQUEST_RETRIES).getCount()).isGreaterThanOrEqualTo(2);
                assertThat(written).isNotDone();
                proxy.mode(LoopbackProxy.Mode.UP);

                assertThat(written.get(60, TimeUnit.SECONDS)).isEmpty();
                assertThat(versions(OPENSEARCH.client(), alias, "acme", "held")).containsExactly(1L, 1L, 1L);
            } finally {
                OpenSearchClients.close(client);
            }
        }
    }
}
