package io.streamrag.query;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kNN + BM25 fused by RRF against the real OpenSearch: the best chunk first, only the tenant's chunks, k honoured; a
 * shard that fails every search leaves the others' hits.
 */
class HybridRetrieverITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    private static final String[] BACKUPS = {"acme", "ops-guide", "3", "Backups run nightly at 02:00 and are kept for 30 days."};
    private static final String[] GASKET = {"acme", "pump-manual", "8", "Replace the quartz gasket every 500 operating hours."};
    /** The same sentence as acme's admin chunk in another tenant, with another number. */
    private static final String[] GLOBEX_ADMIN = {"globex", "manual-42", "17", "The admin UI listens on port 9443 over HTTPS."};

    private static String alias;
    private static HybridRetriever retriever;

    @BeforeAll
    static void seed() throws Exception {
        alias = OPENSEARCH.uniqueName("it-hybrid-chunks");
        TestChunks.index(OPENSEARCH, alias, TestChunks.ADMIN_PORT, BACKUPS, GASKET, GLOBEX_ADMIN);
        retriever = new HybridRetriever(OPENSEARCH.client(), EmbeddingModels.create(new Configuration()), alias, 20, 60);
    }

    @Test
    void bestChunkFirstWithItsFields() {
        List<RetrievedChunk> hits = retriever.retrieve("acme", "Which port does the admin UI use?", 2);

        assertThat(hits).hasSize(2);
        RetrievedChunk top = hits.get(0);
        assertThat(top.documentId).isEqualTo("manual-42");
        assertThat(top.page).isEqualTo(17);
        assertThat(top.text).contains("8443");
        assertThat(top.kind).isEqualTo("text");
        assertThat(top.title).isEqualTo("manual-42");
        // Rank 1 in both the kNN and the BM25 list scores 1.0; the rest less.
        assertThat(top.score).isEqualTo(1.0);
        assertThat(hits.get(1).score).isLessThan(1.0);
    }

    @Test
    void onlyTheAskingTenantsChunksInFusedOrder() {
        List<RetrievedChunk> acme = retriever.retrieve("acme", "admin UI port", 10);
        List<RetrievedChunk> globex = retriever.retrieve("globex", "admin UI port", 10);

        assertThat(acme).extracting(c -> c.documentId)
                .containsExactlyInAnyOrder("manual-42", "ops-guide", "pump-manual");
        assertThat(acme).noneMatch(c -> c.text.contains("9443"));
        assertThat(acme).extracting(c -> c.score).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        assertThat(globex).hasSize(1);
        assertThat(globex.get(0).text).contains("9443");
    }

    @Test
    void keywordsFindTheirChunk() {
        assertThat(retriever.retrieve("acme", "quartz gasket", 1)).extracting(c -> c.documentId)
                .containsExactly("pump-manual");
    }

    @Test
    void pageBreaksOfAChunkRecordComeBackAndOldChunksReadAsOnePage() throws Exception {
        // A chunk written as the ingest job writes one (the Chunk record itself), running from page 9 onto page 10.
        Chunk runOn = new Chunk();
        runOn.chunkId = "initech:wiring:1:0";
        runOn.documentId = "wiring";
        runOn.tenant = "initech";
        runOn.version = 1;
        runOn.page = 9;
        runOn.pageEnd = 10;
        runOn.kind = "text";
        runOn.text = "Wiring overview. The relay coil takes 24 volts.";
        runOn.pageBreaks = new int[] {runOn.text.indexOf("The relay")};
        runOn.embedding = EmbeddingModels.create(new Configuration()).embed(runOn.text).content().vector();
        OPENSEARCH.client().index(i -> i.index(alias).id(runOn.chunkId).document(runOn));
        OPENSEARCH.refresh(alias);

        RetrievedChunk hit = retriever.retrieve("initech", "relay coil voltage", 1).get(0);
        assertThat(hit.pageEnd).isEqualTo(10);
        assertThat(hit.pageTexts()).containsExactly("Wiring overview. ", "The relay coil takes 24 volts.");
        assertThat(hit.ref().covers(10)).isTrue();
        // Chunks indexed without pageBreaks (TestChunks writes none): one page, the start page.
        RetrievedChunk old = retriever.retrieve("acme", "Which port does the admin UI use?", 1).get(0);
        assertThat(old.pageBreaks).isNull();
        assertThat(old.pageEnd).isEqualTo(old.page);
        assertThat(old.pageTexts()).containsExactly(old.text);
    }

    /**
     * A shard that fails every search (a second index under the alias whose tenant field is a number; OpenSearch answers
     * 200 with the other shards' hits) is no outage: questions are answered from the shards that answered (retried,
     * each held a retrieval slot until its deadline and failed). One that passes (a full search queue) is retried:
     * {@code OpenSearchClientsTest}.
     */
    @Test
    void aShardThatFailsEveryTimeLeavesTheOthersHits() throws Exception {
        String partial = OPENSEARCH.uniqueName("it-hybrid-partial");
        TestChunks.index(OPENSEARCH, partial, TestChunks.ADMIN_PORT);
        OPENSEARCH.client().indices().create(c -> c.index(partial + "-numeric-tenants")
                .mappings(m -> m.properties(ChunkIndex.TENANT, p -> p.long_(l -> l)).properties(ChunkIndex.TEXT, p -> p.text(t -> t)))
                .aliases(partial, a -> a.isWriteIndex(false)));
        HybridRetriever r = new HybridRetriever(OPENSEARCH.client(), EmbeddingModels.create(new Configuration()), partial, 20, 60);
        assertThat(r.retrieve("acme", "Which port does the admin UI use?", 3)).singleElement()
                .satisfies(c -> assertThat(c.text).contains("8443"));
    }

    @Test
    void missingIndexIsNoContextNotAFailure() {
        HybridRetriever none = new HybridRetriever(OPENSEARCH.client(), EmbeddingModels.create(new Configuration()),
                OPENSEARCH.uniqueName("it-hybrid-missing"), 20, 60);
        assertThat(none.retrieve("acme", "Which port does the admin UI use?", 3)).isEmpty();
    }
}
