package io.streamrag.common.opensearch;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.testing.OpenSearchExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.search.Hit;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Creates the k-NN chunk index (lucene, cosine) on the real OpenSearch node, bulk-loads it and searches it. */
class ChunkIndexITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    @Test
    void createsKnnIndexBehindAliasAndFindsNearestNeighbourWithinTenant() throws Exception {
        OpenSearchClient client = OPENSEARCH.client();
        String alias = OPENSEARCH.uniqueName("chunks");
        ChunkIndex.ensure(client, alias, 3, 1, 0);
        ChunkIndex.ensure(client, alias, 3, 1, 0); // idempotent

        assertThat(client.indices().existsAlias(a -> a.name(alias)).value()).isTrue();
        var mapping = client.indices().getMapping(m -> m.index(alias)).result().get(ChunkIndex.concreteName(alias));
        var embedding = mapping.mappings().properties().get(ChunkIndex.EMBEDDING).knnVector();
        assertThat(embedding.dimension()).isEqualTo(3);
        assertThat(embedding.method().engine()).isEqualTo("lucene");
        assertThat(embedding.method().spaceType()).isEqualTo("cosinesimil");

        List<BulkOperation> ops = new ArrayList<>();
        ops.add(index(alias, chunk("acme", "a", 1, new float[] {1f, 0f, 0f})));
        ops.add(index(alias, chunk("acme", "b", 2, new float[] {0f, 1f, 0f})));
        ops.add(index(alias, chunk("acme", "c", 3, new float[] {0f, 0f, 1f})));
        // Closest of all to the query, but another tenant's: the filter must hide it.
        ops.add(index(alias, chunk("globex", "d", 4, new float[] {0.1f, 0.99f, 0f})));
        BulkResponse bulk = client.bulk(b -> b.operations(ops));
        assertThat(bulk.errors()).isFalse();
        assertThat(bulk.items()).allSatisfy(item -> assertThat(item.error()).isNull());
        OPENSEARCH.refresh(alias);

        float[] query = {0.2f, 0.9f, 0.1f};
        SearchResponse<Chunk> response = client.search(s -> s
                .index(alias)
                .size(2)
                .query(q -> q.knn(k -> k
                        .field(ChunkIndex.EMBEDDING)
                        .vector(query)
                        .k(2)
                        .filter(org.opensearch.client.opensearch._types.query_dsl.Query.of(f -> f.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of("acme"))))))),
                Chunk.class);

        List<Hit<Chunk>> hits = response.hits().hits();
        assertThat(hits).isNotEmpty();
        assertThat(hits.get(0).source().documentId).isEqualTo("b");
        assertThat(hits.get(0).source().page).isEqualTo(2);
        assertThat(hits).allSatisfy(h -> assertThat(h.source().tenant).isEqualTo("acme"));
    }

    private static Chunk chunk(String tenant, String documentId, int page, float[] vector) {
        Chunk c = new Chunk();
        c.documentId = documentId;
        c.tenant = tenant;
        c.version = 1;
        c.chunkIndex = 0;
        c.chunkId = Chunk.id(tenant, documentId, 1, 0);
        c.page = page;
        c.pageEnd = page;
        c.kind = "text";
        c.text = "chunk of " + documentId;
        c.embedding = vector;
        return c;
    }

    private static BulkOperation index(String alias, Chunk chunk) {
        return BulkOperation.of(o -> o.index(i -> i.index(alias).id(chunk.chunkId).document(chunk)));
    }
}
