package io.streamrag.query;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.testing.OpenSearchExtension;

import dev.langchain4j.model.embedding.EmbeddingModel;
import org.apache.flink.configuration.Configuration;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Seeds a test's own chunk index the way the ingest job would: same mapping, same embedding model. */
final class TestChunks {

    /** The chunk most query tests ask about. */
    static final String[] ADMIN_PORT = {"acme", "manual-42", "17", "The admin UI listens on port 8443 over HTTPS."};

    private TestChunks() {}

    /** Creates {@code alias} and indexes chunks given as {tenant, documentId, page, text}; searchable on return. */
    static void index(OpenSearchExtension opensearch, String alias, String[]... chunks) throws Exception {
        ChunkIndex.ensure(opensearch.client(), alias, 384, 1, 0);
        EmbeddingModel model = EmbeddingModels.create(new Configuration());
        List<BulkOperation> ops = new ArrayList<>();
        for (int i = 0; i < chunks.length; i++) {
            String[] c = chunks[i];
            Map<String, Object> doc = new LinkedHashMap<>();
            String id = c[1] + ":1:" + i;
            doc.put(ChunkIndex.CHUNK_ID, id);
            doc.put(ChunkIndex.DOCUMENT_ID, c[1]);
            doc.put(ChunkIndex.TENANT, c[0]);
            doc.put(ChunkIndex.VERSION, 1);
            doc.put(ChunkIndex.PAGE, Integer.parseInt(c[2]));
            doc.put(ChunkIndex.KIND, "text");
            doc.put(ChunkIndex.TITLE, c[1]);
            doc.put(ChunkIndex.TEXT, c[3]);
            doc.put(ChunkIndex.EMBEDDING, model.embed(c[3]).content().vector());
            ops.add(BulkOperation.of(o -> o.index(x -> x.id(id).document(doc))));
        }
        BulkResponse response = opensearch.client().bulk(b -> b.index(alias).operations(ops));
        assertThat(response.errors()).isFalse();
        opensearch.refresh(alias);
    }
}
