package io.streamrag.ingest.testing;

import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentTask;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch.core.search.Hit;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Embedded documents as the indexing stage receives them, and what the index holds of a document. */
public final class TestChunks {

    private TestChunks() {}

    /** An UPSERT of {@code chunks} chunks with {@code dimension}-d embeddings; {@code previous} as the version gate found it. */
    public static ChunkedDocument chunked(String tenant, String id, long version, Long previous, int chunks, int dimension) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = tenant;
        t.version = version;
        t.previousVersion = previous;
        t.op = Op.UPSERT.name();
        t.eventTime = System.currentTimeMillis();
        ChunkedDocument d = new ChunkedDocument(t);
        for (int i = 0; i < chunks; i++) {
            Chunk c = new Chunk();
            c.chunkIndex = i;
            c.chunkId = Chunk.id(tenant, id, version, i);
            c.documentId = id;
            c.tenant = tenant;
            c.version = version;
            c.page = i + 1;
            c.pageEnd = i + 1;
            c.kind = "text";
            c.text = "text " + i;
            c.embedding = new float[dimension];
            Arrays.fill(c.embedding, 0.1f + i);
            d.chunks.add(c);
        }
        return d;
    }

    /** A DELETE of the tenant's document. */
    public static ChunkedDocument delete(String tenant, String id) {
        ChunkedDocument d = chunked(tenant, id, 0, null, 0, 4);
        d.task.op = Op.DELETE.name();
        return d;
    }

    /** The versions of the tenant's document's chunks in the index, one entry per chunk, sorted (refresh first). */
    public static List<Long> versions(OpenSearchClient client, String alias, String tenant, String id) throws IOException {
        client.indices().refresh(r -> r.index(alias));
        return client.search(s -> s.index(alias).size(1000).query(q -> q.bool(b -> b
                        .filter(f -> f.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(id))))
                        .filter(f -> f.term(t -> t.field(ChunkIndex.TENANT).value(FieldValue.of(tenant)))))), Chunk.class)
                .hits().hits().stream().map(Hit::source).map(c -> c.version).sorted().collect(Collectors.toList());
    }
}
