package io.streamrag.ingest.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.opensearch.ChunkIndex;
import io.streamrag.common.records.Chunk;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.FailedDocument;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch.core.search.Hit;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The indexing operator against the real OpenSearch: per-item failures, version replacement, deletes, checkpoint flush. */
class IndexChunksITCase {

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = new OpenSearchExtension();

    private static ChunkedDocument doc(String id, long version, Long previous, int chunks, int dimension) {
        DocumentTask t = new DocumentTask();
        t.documentId = id;
        t.tenant = "acme";
        t.version = version;
        t.previousVersion = previous;
        t.op = DocumentTask.UPSERT;
        t.eventTime = System.currentTimeMillis();
        ChunkedDocument d = new ChunkedDocument(t);
        for (int i = 0; i < chunks; i++) {
            Chunk c = new Chunk();
            c.chunkIndex = i;
            c.chunkId = Chunk.id(id, version, i);
            c.documentId = id;
            c.tenant = "acme";
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

    private static ChunkedDocument delete(String id) {
        ChunkedDocument d = doc(id, 0, null, 0, 4);
        d.task.op = DocumentTask.DELETE;
        return d;
    }

    private List<Long> versions(String alias, String id) throws Exception {
        OPENSEARCH.refresh(alias);
        return OPENSEARCH.client().search(s -> s.index(alias).size(100)
                        .query(q -> q.term(t -> t.field(ChunkIndex.DOCUMENT_ID).value(FieldValue.of(id)))), Chunk.class)
                .hits().hits().stream().map(Hit::source).map(c -> c.version).sorted().collect(Collectors.toList());
    }

    @Test
    void writesChecksEveryItemReplacesVersionsAndDeletes() throws Exception {
        String alias = OPENSEARCH.uniqueName("index-op");
        Configuration conf = new Configuration();
        conf.set(StreamRagOptions.OPENSEARCH_URL, OPENSEARCH.url());
        conf.set(io.streamrag.common.embedding.EmbeddingOptions.DIMENSION, 4);
        try (var h = new OneInputStreamOperatorTestHarness<>(new IndexChunks(conf, alias))) {
            h.open();
            h.processElement(new StreamRecord<>(doc("a", 1, null, 3, 4)));
            h.processElement(new StreamRecord<>(doc("bad", 1, null, 2, 3))); // wrong dimension: HTTP 200, failed items
            assertThat(h.extractOutputValues()).isEmpty();
            h.prepareSnapshotPreBarrier(1L);
            assertThat(versions(alias, "a")).containsExactly(1L, 1L, 1L);
            assertThat(versions(alias, "bad")).isEmpty();
            assertThat(h.extractOutputValues()).extracting(o -> o.documentId + ":" + o.outcome + ":" + o.chunks)
                    .containsExactly("a:indexed:3");
            FailedDocument failed = (FailedDocument) h.getSideOutput(DeadLetters.TAG).peek().getValue();
            assertThat(failed.documentId).isEqualTo("bad");
            assertThat(failed.stage).isEqualTo("index");
            assertThat(failed.message).contains("400");

            // v2 has fewer chunks: after it, nothing of v1 is left.
            h.processElement(new StreamRecord<>(doc("a", 2, 1L, 2, 4)));
            h.prepareSnapshotPreBarrier(2L);
            assertThat(versions(alias, "a")).containsExactly(2L, 2L);

            h.processElement(new StreamRecord<>(delete("a")));
            assertThat(versions(alias, "a")).isEmpty();
            List<DocumentOutcome> outcomes = h.extractOutputValues();
            assertThat(outcomes).extracting(o -> o.documentId + ":" + o.outcome)
                    .containsExactly("a:indexed", "a:indexed", "a:deleted");
            assertThat(outcomes.get(2).chunks).isEqualTo(2);
        }
    }
}
