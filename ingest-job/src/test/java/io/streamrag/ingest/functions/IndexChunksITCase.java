package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.testing.HarnessMetrics;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.streamrag.ingest.testing.TestChunks.chunked;
import static io.streamrag.ingest.testing.TestChunks.delete;
import static io.streamrag.ingest.testing.TestChunks.versions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The indexing operator against the real OpenSearch: per-item failures, version replacement (also of a re-sent version),
 * deletes, checkpoint flush, refreshes, item rejections waited out within one retry budget per flush.
 */
class IndexChunksITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @Test
    void writesChecksEveryItemReplacesVersionsAndDeletes() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-op");
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(io.streamrag.common.embedding.EmbeddingOptions.DIMENSION, 4);
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf)))) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 3, 4)));
            h.processElement(new StreamRecord<>(chunked("acme", "bad", 1, null, 2, 3))); // wrong dimension: HTTP 200, failed items
            assertThat(h.extractOutputValues()).isEmpty();
            h.prepareSnapshotPreBarrier(1L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(1L, 1L, 1L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "bad")).isEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:3");
            FailedDocument failed = (FailedDocument) h.getSideOutput(DeadLetters.TAG).peek().getValue();
            assertThat(failed.documentId).isEqualTo("bad");
            assertThat(failed.stage).isEqualTo("index");
            assertThat(failed.message).contains("400");

            // v2 has fewer chunks: after it, nothing of v1 is left.
            h.processElement(new StreamRecord<>(chunked("acme", "a", 2, 1L, 2, 4)));
            h.prepareSnapshotPreBarrier(2L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(2L, 2L);

            h.processElement(new StreamRecord<>(delete("acme", "a")));
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).isEmpty();
            List<DocumentOutcome> outcomes = h.extractOutputValues();
            assertThat(outcomes).extracting(o -> o.documentId + ":" + o.outcome)
                    .containsExactly("a:indexed", "a:indexed", "a:deleted");
            assertThat(outcomes.get(2).chunks).isEqualTo(2);
        }
    }

    @Test
    void refreshesOnceWritesPauseButNotAfterABacklogsBursts() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-refresh");
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(io.streamrag.common.embedding.EmbeddingOptions.DIMENSION, 4);
        conf.set(IngestOptions.INDEX_REFRESH_AFTER_WRITE, Duration.ofSeconds(1));
        // The index never refreshes by itself here: whatever becomes searchable, the operator's refreshes made so.
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        OPENSEARCH.client().indices().putSettings(p -> p.index(ChunkIndex.concreteName(alias))
                .settings(s -> s.refreshInterval(t -> t.time("-1"))));
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf)))) {
            h.setProcessingTime(10_000);
            h.open();
            h.processElement(new StreamRecord<>(firstVersion("acme", "a", 1, null, 3, 4)));
            h.prepareSnapshotPreBarrier(1L);
            h.setProcessingTime(10_600);
            h.processElement(new StreamRecord<>(firstVersion("acme", "b", 1, null, 2, 4)));
            h.prepareSnapshotPreBarrier(2L);
            h.setProcessingTime(11_000); // a second after the first write, but writes have not paused for one
            assertThat(searchable(alias)).isZero();

            h.setProcessingTime(11_600); // a second after the last write: one refresh for both
            assertThat(searchable(alias)).isEqualTo(5);

            h.processElement(new StreamRecord<>(firstVersion("acme", "c", 1, null, 1, 4)));
            h.prepareSnapshotPreBarrier(3L);
            assertThat(searchable(alias)).isEqualTo(5);
            h.setProcessingTime(12_600);
            assertThat(searchable(alias)).isEqualTo(6);

            // A backlog's documents (sent in full embedding batches) wait for the index's schedule...
            ChunkedDocument inBacklog = firstVersion("acme", "e", 1, null, 2, 4);
            inBacklog.backlog = true;
            h.processElement(new StreamRecord<>(inBacklog));
            h.prepareSnapshotPreBarrier(4L);
            h.setProcessingTime(14_000);
            assertThat(searchable(alias)).isEqualTo(6);
            // ...and the backlog's last, partial batch makes everything written searchable once writes pause.
            h.processElement(new StreamRecord<>(firstVersion("acme", "f", 1, null, 1, 4)));
            h.prepareSnapshotPreBarrier(5L);
            h.setProcessingTime(14_500);
            assertThat(searchable(alias)).isEqualTo(6);
            h.setProcessingTime(15_000);
            assertThat(searchable(alias)).isEqualTo(9);
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome)
                    .containsExactly("a:indexed", "b:indexed", "c:indexed", "e:indexed", "f:indexed");

            // A bounded run that ends on a backlog's burst refreshes at its end all the same.
            ChunkedDocument last = firstVersion("acme", "g", 1, null, 1, 4);
            last.backlog = true;
            h.processElement(new StreamRecord<>(last));
            h.prepareSnapshotPreBarrier(6L);
            assertThat(searchable(alias)).isEqualTo(9);
            h.getOneInputOperator().finish();
            assertThat(searchable(alias)).isEqualTo(10);
        }

        // Off: the written chunks stay invisible until the index refreshes.
        conf.set(IngestOptions.INDEX_REFRESH_AFTER_WRITE, Duration.ZERO);
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf)))) {
            h.setProcessingTime(20_000);
            h.open();
            h.processElement(new StreamRecord<>(firstVersion("acme", "d", 1, null, 2, 4)));
            h.prepareSnapshotPreBarrier(1L);
            h.setProcessingTime(30_000);
            assertThat(searchable(alias)).isEqualTo(10);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "d")).containsExactly(1L, 1L); // written all the same
        }
    }

    @Test
    void aReSentVersionThatNowMakesFewerChunksLeavesNoneOfItsOldTail() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-resend");
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf(alias))))) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "a", 3, null, 4, 4)));
            h.prepareSnapshotPreBarrier(1L);
            // The same version again (the chunker changed, say): 2 chunks now, and the gate found version 3 indexed.
            h.processElement(new StreamRecord<>(chunked("acme", "a", 3, 3L, 2, 4)));
            h.prepareSnapshotPreBarrier(2L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(3L, 3L); // before: 4 chunks, 2 orphans
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:4", "a:indexed:2");
        }
    }

    @Test
    void itemsRejectedWhileOpenSearchCannotWriteAreWaitedOutNotDeadLettered() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-429");
        Configuration conf = conf(alias);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofSeconds(60));
        conf.set(IngestOptions.INDEX_MAX_RETRIES, 2); // deprecated, no effect: it dead-lettered after 2 retries
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        // A flood-stage block: every bulk item is rejected with 429 in an HTTP 200 answer, as with a full write queue.
        writeBlock(alias, true);
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new OneInputStreamOperatorTestHarness<ChunkedDocument, DocumentOutcome>(
                new IndexChunks(IndexSettings.from(conf)), metrics.environment().build())) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 3, 4)));
            CompletableFuture<Void> flushed = heldWhileRetrying(() -> h.prepareSnapshotPreBarrier(1L),
                    metrics, IndexMetrics.BULK_RETRIES.name(), 4, "the flush holds its documents while items are rejected");
            writeBlock(alias, false);

            flushed.get(30, TimeUnit.SECONDS);
            assertThat(h.getSideOutput(DeadLetters.TAG)).as("nobody blamed for OpenSearch's rejections").isNullOrEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:3");
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(1L, 1L, 1L);
        } finally {
            writeBlock(alias, false);
        }
    }

    /**
     * An index write block ({@code index.blocks.write}, which an operator sets e.g. before a shrink or a migration)
     * rejects every item with 403 {@code cluster_block_exception}: before, every document was dead-lettered
     * (IndexingFailed) and the DELETE behind them failed the task at once.
     */
    @Test
    void itemsRejectedByAWriteBlockAreWaitedOutAndSoIsTheDeleteBehindThem() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-403");
        Configuration conf = conf(alias);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofSeconds(60));
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new OneInputStreamOperatorTestHarness<ChunkedDocument, DocumentOutcome>(
                new IndexChunks(IndexSettings.from(conf)), metrics.environment().build())) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "old", 1, null, 2, 4)));
            h.prepareSnapshotPreBarrier(1L);
            blockWrites(alias, true);
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 3, 4)));
            // The DELETE flushes "a" first, then deletes "old": both under the block.
            CompletableFuture<Void> deleted = heldWhileRetrying(() -> h.processElement(new StreamRecord<>(delete("acme", "old"))),
                    metrics, IndexMetrics.BULK_RETRIES.name(), 3, "the flush holds its documents while the block lasts");
            blockWrites(alias, false);

            deleted.get(30, TimeUnit.SECONDS);
            assertThat(h.getSideOutput(DeadLetters.TAG)).as("nobody blamed for the block").isNullOrEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome)
                    .containsExactly("old:indexed", "a:indexed", "old:deleted");
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(1L, 1L, 1L);
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "old")).isEmpty();
        } finally {
            blockWrites(alias, false);
        }
    }

    /**
     * A cluster-wide write block ({@code cluster.blocks.read_only}) refuses each bulk request as a whole with 403
     * {@code cluster_block_exception}: retried as an outage (the transport throws a 403 as an I/O error) until lifted.
     */
    @Test
    void aBulkRequestRefusedByAClusterWideWriteBlockIsWaitedOut() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-cluster-403");
        Configuration conf = conf(alias);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, Duration.ofSeconds(60));
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        HarnessMetrics metrics = new HarnessMetrics();
        try (var h = new OneInputStreamOperatorTestHarness<ChunkedDocument, DocumentOutcome>(
                new IndexChunks(IndexSettings.from(conf)), metrics.environment().build())) {
            h.open();
            OPENSEARCH.blockClusterWrites(true);
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 3, 4)));
            CompletableFuture<Void> flushed = heldWhileRetrying(() -> h.prepareSnapshotPreBarrier(1L),
                    metrics, IndexMetrics.REQUEST_RETRIES.name(), 3, "the flush holds its documents while the cluster blocks writes");
            OPENSEARCH.blockClusterWrites(false);

            flushed.get(30, TimeUnit.SECONDS);
            assertThat(h.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:3");
            assertThat(versions(OPENSEARCH.client(), alias, "acme", "a")).containsExactly(1L, 1L, 1L);
        } finally {
            OPENSEARCH.blockClusterWrites(false);
        }
    }

    @Test
    void aFlushAndTheDeleteBehindItShareOneRetryBudgetThenFailTheTaskBlamingNobody() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-budget");
        Duration budget = Duration.ofSeconds(6);
        Configuration conf = conf(alias);
        conf.set(IngestOptions.INDEX_RETRY_BUDGET, budget);
        conf.set(IngestOptions.INDEX_MAX_RETRIES, 1000);
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(IndexSettings.from(conf)))) {
            h.open();
            h.processElement(new StreamRecord<>(chunked("acme", "old", 1, null, 2, 4)));
            h.prepareSnapshotPreBarrier(1L);
            writeBlock(alias, true); // every write and delete item rejected with 429 from here on
            h.processElement(new StreamRecord<>(chunked("acme", "a", 1, null, 2, 4)));
            long start = System.nanoTime();
            // The DELETE flushes "a" first, then deletes "old": before, each had a budget of its own (and the
            // items of "a" were dead-lettered after ingest.index.max-retries, or at the end of theirs).
            assertThatThrownBy(() -> h.processElement(new StreamRecord<>(delete("acme", "old"))))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("429 cluster_block_exception");
            long ms = (System.nanoTime() - start) / 1_000_000;
            // One budget, less the time kept for the last request (at most half of it): the flush gives up by then.
            assertThat(ms).isGreaterThanOrEqualTo(budget.toMillis() / 2 - 1_000).isLessThan(budget.toMillis());
            assertThat(h.getSideOutput(DeadLetters.TAG)).isNullOrEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome).containsExactly("old:indexed");
        } finally {
            writeBlock(alias, false);
        }
    }

    /** A step that blocks the operator, run on another thread until it has retried {@code retries} times. */
    private interface Step {
        void run() throws Exception;
    }

    /**
     * Runs {@code step} (a flush, a DELETE) on another thread, waits until {@code counter} shows it retried
     * {@code retries} times, and checks it still holds its documents ({@code why}); the caller lifts the fault, then
     * awaits the returned future.
     */
    private static CompletableFuture<Void> heldWhileRetrying(Step step, HarnessMetrics metrics, String counter, int retries,
                                                             String why) throws InterruptedException {
        CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
            try {
                step.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!running.isDone() && metrics.count(counter) < retries && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(running).as(why).isNotDone();
        return running;
    }

    private static Configuration conf(String alias) {
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(StreamRagOptions.OPENSEARCH_INDEX, alias);
        conf.set(io.streamrag.common.embedding.EmbeddingOptions.DIMENSION, 4);
        conf.set(IngestOptions.INDEX_RETRY_BACKOFF, Duration.ofMillis(50));
        conf.set(IngestOptions.INDEX_RETRY_MAX_BACKOFF, Duration.ofMillis(200));
        return conf;
    }

    /**
     * Sets or lifts the index's read-only-allow-delete (flood-stage) block, under which OpenSearch rejects every bulk
     * item with 429 (cluster_block_exception) in an HTTP 200 answer. The local node never lifts it by itself (its disk
     * thresholds are off).
     */
    private static void writeBlock(String alias, boolean on) throws IOException {
        OPENSEARCH.client().indices().putSettings(p -> p.index(ChunkIndex.concreteName(alias))
                // Under "index": a blocked index takes a change of this one setting only by its full key.
                .settings(s -> s.index(i -> i.blocks(b -> b.readOnlyAllowDelete(on)))));
    }

    /** Sets or lifts the index's write block: OpenSearch then rejects every bulk item with 403 (cluster_block_exception). */
    private static void blockWrites(String alias, boolean on) throws IOException {
        OPENSEARCH.client().indices().putSettings(p -> p.index(ChunkIndex.concreteName(alias))
                .settings(s -> s.blocks(b -> b.write(on))));
    }

    /** A document the version gate knew to be new: nothing to clean up, so no cleanup search (which refreshes) runs. */
    private static ChunkedDocument firstVersion(String tenant, String id, long version, Long previous,
                                                int chunks, int dimension) {
        var d = chunked(tenant, id, version, previous, chunks, dimension);
        d.task.previousVersionKnown = true;
        return d;
    }

    /** Chunks a search finds now, without forcing a refresh. */
    private static long searchable(String alias) throws Exception {
        return OPENSEARCH.client().count(c -> c.index(alias)).count();
    }
}
