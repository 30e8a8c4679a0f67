package io.streamrag.ingest.health;

import io.streamrag.common.embedding.EmbeddingOptions.Provider;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.opensearch.OpenSearchConnection;
import io.streamrag.common.testing.OpenSearchExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dependency probe against the real OpenSearch: a healthy chunk index, and a missing one, answer (the write probe's
 * delete finds nothing, writes no document and creates no index); an index that blocks writes is down, and so is a
 * cluster that does.
 */
class DependencyWatchITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    private static DependencyWatch watch(String alias) {
        return new DependencyWatch(new ProbeSettings(
                new OpenSearchConnection(OPENSEARCH.url(), null, null, null, null, null, "PKCS12", null, null, true), alias,
                new EmbeddingSettings(Provider.ONNX, null, "some-model", "EMBEDDING_API_KEY", 4, 0, 1),
                Duration.ofMinutes(1), Duration.ofSeconds(5)));
    }

    @Test
    void aHealthyIndexIsUpAndTheWriteProbeLeavesItAsItWas() throws Exception {
        String alias = OPENSEARCH.uniqueName("probe");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        try (DependencyWatch w = watch(alias)) {
            for (int i = 0; i < 3; i++) {
                assertThat(w.checkNow()).as("check %d", i).isNull();
            }
        }
        OPENSEARCH.refresh(alias);
        assertThat(OPENSEARCH.client().count(c -> c.index(alias)).count()).as("documents").isZero();
        assertThat(OPENSEARCH.client().exists(e -> e.index(alias).id(DependencyWatch.PROBE_ID)).value()).isFalse();
    }

    @Test
    void aMissingIndexIsUpAndTheProbeDoesNotCreateIt() throws Exception {
        String alias = OPENSEARCH.uniqueName("probe-missing");
        try (DependencyWatch w = watch(alias)) {
            assertThat(w.checkNow()).isNull();
        }
        assertThat(OPENSEARCH.client().indices().exists(e -> e.index(alias)).value()).isFalse();
    }

    @Test
    void anIndexThatBlocksWritesIsDown() throws Exception {
        String alias = OPENSEARCH.uniqueName("probe-blocked");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        try (DependencyWatch w = watch(alias)) {
            OPENSEARCH.client().indices().putSettings(s -> s.index(alias).settings(x -> x.blocks(b -> b.write(true))));
            assertThat(w.checkNow()).endsWith("blocks writes (index.blocks.write)");
            OPENSEARCH.client().indices().putSettings(s -> s.index(alias).settings(x -> x.blocks(b -> b.write(false))));
            assertThat(w.checkNow()).as("lifted").isNull();
        }
    }

    /**
     * A cluster-wide write block refuses the write probe's bulk request as a whole with 403 while the index is green and
     * unblocked: the indexer retries that as an outage and then fails the job, so the probe must say down (before, its
     * 403 counted as an answer and the quarantine counted the failures against the documents in flight).
     */
    @Test
    void aClusterWideWriteBlockIsDown() throws Exception {
        String alias = OPENSEARCH.uniqueName("probe-cluster-blocked");
        ChunkIndex.ensure(OPENSEARCH.client(), alias, 4, 1, 0);
        try (DependencyWatch w = watch(alias)) {
            OPENSEARCH.blockClusterWrites(true);
            assertThat(w.checkNow()).isEqualTo("OpenSearch " + OPENSEARCH.url() + " refuses the job's writes "
                    + "(HTTP 403 cluster_block_exception: blocked by: [FORBIDDEN/6/cluster read-only (api)];)");
            OPENSEARCH.blockClusterWrites(false);
            assertThat(w.checkNow()).as("lifted").isNull();
        } finally {
            OPENSEARCH.blockClusterWrites(false);
        }
    }
}
