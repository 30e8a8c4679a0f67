package io.streamrag.ingest.index;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.retry.Backoff;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.metrics.IndexMetrics;
import io.streamrag.ingest.records.ChunkedDocument;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch.core.search.Hit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.streamrag.ingest.testing.TestChunks.chunked;
import static io.streamrag.ingest.testing.TestChunks.versions;
import static org.assertj.core.api.Assertions.assertThat;

/** Version clean-up against the real OpenSearch: replaced and re-sent versions, half-written failures, tenant-scoped deletes. */
class VersionCleanupITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    private String alias;
    private IndexMetrics metrics;
    private Backoff backoff;
    private BulkWriter writer;
    private VersionCleanup cleanup;

    @BeforeEach
    void index() throws Exception {
        alias = OPENSEARCH.uniqueName("version-cleanup");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        metrics = new IndexMetrics(new UnregisteredMetricsGroup());
        backoff = Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200)).withBudget(Duration.ofSeconds(30));
        writer = new BulkWriter(OPENSEARCH.client(), alias, 100, metrics);
        cleanup = new VersionCleanup(OPENSEARCH.client(), alias, metrics);
    }

    @Test
    void aNewVersionReplacesTheOldOneAndAFailedOneLeavesNothingHalfWritten() throws Exception {
        writer.write(List.of(chunked("acme", "manual", 1, null, 3, 4), chunked("acme", "guide", 1, null, 2, 4)), backoff.start());

        ChunkedDocument manual2 = chunked("acme", "manual", 2, 1L, 2, 4);
        ChunkedDocument guide2 = chunked("acme", "guide", 2, 1L, 4, 4);
        writer.write(List.of(manual2, guide2), backoff.start());
        // As if some of guide v2's chunks had been rejected: the chunks of v2 that did get in must go, v1 stays.
        cleanup.afterWrite(List.of(manual2, guide2), Set.of(guide2), backoff.start());

        assertThat(versions(OPENSEARCH.client(), alias, "acme", "manual")).containsExactly(2L, 2L);
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "guide")).containsExactly(1L, 1L);
        assertThat(metrics.get(IndexMetrics.DELETE_BY_QUERY_LATENCY_MS).getCount()).isEqualTo(1); // one delete request for both documents
    }

    @Test
    void aFirstVersionTheGateKnowsAboutNeedsNoCleanUpAndAReplayKeepsItsVersion() throws Exception {
        ChunkedDocument first = chunked("acme", "new", 1, null, 2, 4);
        first.task.previousVersionKnown = true;
        writer.write(List.of(first), backoff.start());
        cleanup.afterWrite(List.of(first), Set.of(), backoff.start());
        assertThat(metrics.get(IndexMetrics.DELETE_BY_QUERY_LATENCY_MS).getCount()).isZero();

        // A replay of the indexed version that fails this time must not delete the version already there.
        ChunkedDocument replay = chunked("acme", "new", 1, 1L, 2, 4);
        cleanup.afterWrite(List.of(replay), Set.of(replay), backoff.start());
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "new")).containsExactly(1L, 1L);
    }

    @Test
    @SuppressWarnings("deprecation") // the id format of earlier releases, on purpose
    void aReSentVersionLosesWhatAnEarlierWriteOfItLeftBeyondItsChunks() throws Exception {
        ChunkedDocument first = chunked("acme", "manual", 2, 1L, 4, 4);
        ChunkedDocument other = chunked("acme", "guide", 2, null, 3, 4); // a version the index had never seen
        other.task.previousVersionKnown = true;
        writer.write(List.of(first, other), backoff.start());
        // A chunk of the same version under the id format of releases before tenants were part of identity.
        Chunk legacy = chunked("acme", "manual", 2, null, 1, 4).chunks.get(0);
        legacy.chunkId = Chunk.id("manual", 2, 0);
        writer.write(List.of(withChunks(first, List.of(legacy))), backoff.start());
        assertThat(ids("manual")).hasSize(5);

        // The same version again, now 2 chunks (a chunker change, an edit re-sent under the same version).
        ChunkedDocument again = chunked("acme", "manual", 2, 2L, 2, 4);
        writer.write(List.of(again, other), backoff.start());
        cleanup.afterWrite(List.of(again, other), Set.of(), backoff.start());

        assertThat(ids("manual")).containsExactlyInAnyOrder(Chunk.id("acme", "manual", 2, 0), Chunk.id("acme", "manual", 2, 1));
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "guide")).containsExactly(2L, 2L, 2L);
        assertThat(metrics.get(IndexMetrics.DELETE_BY_QUERY_LATENCY_MS).getCount()).isEqualTo(1); // one delete query

        // Indexed version unknown (the lookup off or refused): older versions and the same version's leftovers go.
        writer.write(List.of(chunked("acme", "guide", 1, null, 2, 4)), backoff.start());
        ChunkedDocument unknown = chunked("acme", "guide", 2, null, 1, 4);
        writer.write(List.of(unknown), backoff.start());
        cleanup.afterWrite(List.of(unknown), Set.of(), backoff.start());
        assertThat(ids("guide")).containsExactly(Chunk.id("acme", "guide", 2, 0));
    }

    /** A flush of 300 re-sent one-chunk documents: one query for all would pass the node's 1024-leaf clause limit. */
    @Test
    void aFlushOfManyDocumentsIsCleanedUpInQueriesTheNodeTakes() throws Exception {
        List<ChunkedDocument> before = new ArrayList<>();
        List<ChunkedDocument> resent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            before.add(chunked("acme", "doc-" + i, 1, null, 2, 4));
            resent.add(chunked("acme", "doc-" + i, 1, 1L, 1, 4));
        }
        writer.write(before, backoff.start());
        writer.write(resent, backoff.start());
        cleanup.afterWrite(resent, Set.of(), backoff.start());

        assertThat(ids("doc-0")).containsExactly(Chunk.id("acme", "doc-0", 1, 0));
        assertThat(ids("doc-299")).containsExactly(Chunk.id("acme", "doc-299", 1, 0));
        assertThat(metrics.get(IndexMetrics.DELETE_BY_QUERY_LATENCY_MS).getCount())
                .isEqualTo((300 + VersionCleanup.CLAUSES_PER_QUERY - 1) / VersionCleanup.CLAUSES_PER_QUERY);
    }

    /**
     * A second index under the alias whose tenant field is a number fails every search for a tenant's chunks on its
     * shard, every time; OpenSearch answers 200 with the other shards' hits. Such a failure is not an outage: clean-up
     * goes on with the shards that answered (retried, it failed every flush and restore until the job gave up). A
     * failure that passes (a full search queue) is retried: {@code OpenSearchClientsTest}.
     */
    @Test
    void aShardThatFailsEveryTimeDoesNotStopTheCleanUp() throws Exception {
        writer.write(List.of(chunked("acme", "manual", 1, null, 3, 4)), backoff.start());
        OPENSEARCH.client().indices().create(c -> c.index(alias + "-numeric-tenants")
                // documentId mapped too: a term on an unmapped field would make the whole query match nothing unparsed.
                .mappings(m -> m.properties(ChunkIndex.TENANT, p -> p.long_(l -> l)).properties(ChunkIndex.DOCUMENT_ID, p -> p.keyword(k -> k)))
                .aliases(alias, a -> a.isWriteIndex(false)));
        Backoff brief = Backoff.of(Duration.ofMillis(10), Duration.ofMillis(20)).withBudget(Duration.ofSeconds(5));

        assertThat(cleanup.deleteDocument(chunked("acme", "manual", 2, 1L, 0, 4).task, brief.start())).isEqualTo(3);
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "manual")).isEmpty();
        assertThat(metrics.get(IndexMetrics.REQUEST_RETRIES).getCount()).as("not retried").isZero();
    }

    /**
     * A version that failed and the same version written in full in one flush (sent twice, the first time with a chunk
     * the index refused): the failed one's "remove this version" erased the full write, reported indexed.
     */
    @Test
    void aFailedWriteDoesNotEraseTheSameVersionWrittenInFullInTheSameFlush() throws Exception {
        writer.write(List.of(chunked("acme", "manual", 4, null, 2, 4)), backoff.start());
        ChunkedDocument failedFirst = chunked("acme", "manual", 5, 4L, 3, 4);
        ChunkedDocument sentAgain = chunked("acme", "manual", 5, 4L, 2, 4);
        writer.write(List.of(failedFirst, sentAgain), backoff.start());
        cleanup.afterWrite(List.of(failedFirst, sentAgain), Set.of(failedFirst), backoff.start());

        assertThat(ids("manual")).containsExactlyInAnyOrder(Chunk.id("acme", "manual", 5, 0), Chunk.id("acme", "manual", 5, 1));
        assertThat(versions(OPENSEARCH.client(), alias, "acme", "manual")).containsExactly(5L, 5L);

        // The other order: the failed write came after the full one and wrote over some of its chunks (same ids), so
        // what is there mixes the two; the version goes, as the last event of it failed.
        ChunkedDocument writtenFirst = chunked("acme", "guide", 5, 4L, 2, 4);
        ChunkedDocument failedAfter = chunked("acme", "guide", 5, 4L, 3, 4);
        writer.write(List.of(writtenFirst, failedAfter), backoff.start());
        cleanup.afterWrite(List.of(writtenFirst, failedAfter), Set.of(failedAfter), backoff.start());
        assertThat(ids("guide")).isEmpty();
    }

    /** The chunk ids of the acme document {@code id} in the index. */
    private List<String> ids(String id) throws Exception {
        OPENSEARCH.refresh(alias);
        return OPENSEARCH.client().search(s -> s.index(alias).size(100).query(q -> q.bool(b -> b
                        .filter(ChunkIndex.documentFilter("acme", id)))), Chunk.class)
                .hits().hits().stream().map(Hit::id).collect(Collectors.toList());
    }

    private static ChunkedDocument withChunks(ChunkedDocument d, List<Chunk> chunks) {
        ChunkedDocument copy = new ChunkedDocument(d.task);
        copy.chunks.addAll(chunks);
        return copy;
    }

    @Test
    void deletingADocumentRemovesOnlyItsTenantsChunks() throws Exception {
        writer.write(List.of(chunked("acme", "shared-id", 3, null, 3, 4), chunked("globex", "shared-id", 1, null, 2, 4)), backoff.start());

        assertThat(cleanup.deleteDocument(chunked("acme", "shared-id", 4, 3L, 0, 4).task, backoff.start())).isEqualTo(3);

        assertThat(versions(OPENSEARCH.client(), alias, "acme", "shared-id")).isEmpty();
        assertThat(versions(OPENSEARCH.client(), alias, "globex", "shared-id")).containsExactly(1L, 1L);
    }
}
